import { defineConfig } from 'vite';

// GraphiQL's stylesheet embeds Roboto and Fira Code as base64 woff2 (about
// 360 KB of the 420 KB file); drop those @font-face rules and let
// src/app.css point GraphiQL's font variables at the system's fonts.
function dropEmbeddedFonts() {
  return {
    name: 'clientele-drop-embedded-fonts',
    enforce: 'pre',
    transform(code, id) {
      if (!/[\\/]graphiql[\\/]dist[\\/]style\.css$/.test(id.split('?')[0])) return null;
      const out = code.replace(/@font-face\s*\{[^}]*\}/g, '');
      return { code: out, map: null };
    },
  };
}

export default defineConfig({
  // The server serves the page at / and the files under /graphiql/assets/.
  base: '/graphiql/',
  plugins: [dropEmbeddedFonts()],
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    // GRAPHIQL_OUT_DIR lets CI build elsewhere and compare with the commit.
    outDir: process.env.GRAPHIQL_OUT_DIR || '../../internal/graphiql/dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    // Every asset a file of its own (the favicon too): no data: URLs.
    assetsInlineLimit: 0,
    // Modern browsers only: no modulepreload polyfill (it would be inline).
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 2048,
    rolldownOptions: {
      onwarn(warning, warn) {
        // framer-motion, radix and headlessui start their modules with
        // "use client", which means nothing in a client-only bundle.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
});
