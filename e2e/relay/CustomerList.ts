// Relay-style documents: relay-compiler validates them against the SDL the
// server prints (`clientele schema`), including @connection on customers,
// @refetchable (which needs Query.node and the Node interface) and
// @argumentDefinitions. They are compiled, never run.
import { graphql } from 'relay-runtime';

export const CustomerListQuery = graphql`
  query CustomerListQuery($first: Int!, $after: Cursor, $search: String) {
    ...CustomerList_query @arguments(first: $first, after: $after, search: $search)
    viewer {
      id
    }
  }
`;

export const CustomerListFragment = graphql`
  fragment CustomerList_query on Query
  @argumentDefinitions(
    first: { type: "Int", defaultValue: 20 }
    after: { type: "Cursor" }
    search: { type: "String" }
  )
  @refetchable(queryName: "CustomerListPaginationQuery") {
    customers(first: $first, after: $after, where: { search: $search }, orderBy: [{ field: CREATED_AT, direction: DESC }])
      @connection(key: "CustomerList_customers", filters: ["where", "orderBy"]) {
      totalCount
      edges {
        cursor
        node {
          id
          ...CustomerRow_customer
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;
