// PostGraphile 5 for bench/run.sh --peer: the Amber preset over the views of
// views.sql, production settings (no GraphiQL, no watch, no explain).
//   PEER_DATABASE_URL=postgres://… PEER_PORT=5678 node_modules/.bin/node \
//     node_modules/postgraphile/dist/cli-run.js -C graphile.config.mjs
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

export default {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.PEER_DATABASE_URL,
      schemas: ["peer"],
      poolConfig: { max: Number(process.env.PEER_POOL || 10) },
    }),
  ],
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.PEER_PORT || 5678),
    graphiql: false,
    watch: false,
  },
  grafast: { explain: false },
};
