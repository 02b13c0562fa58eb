// The operations a typical client of clientele sends. graphql-codegen reads
// them (client preset) and writes typed documents into src/gql/; app.ts uses
// the generated types and tsc checks it.
import { graphql } from './gql';

export const CustomerFieldsFragment = graphql(`
  fragment CustomerFields on Customer {
    id
    email
    status
    mode
    reference
    metadata
    createdAt
    updatedAt
    totalOrdersCount
    hasPassword
    links {
      self
    }
  }
`);

export const CustomerByIdQuery = graphql(`
  query CustomerById($id: ID!) {
    node(id: $id) {
      __typename
      id
      ... on Customer {
        ...CustomerFields
        customerGroup {
          id
          name
        }
      }
    }
  }
`);

export const CustomersPageQuery = graphql(`
  query CustomersPage($first: Int!, $after: Cursor, $where: CustomerWhereInput, $orderBy: [CustomerOrder!]) {
    customers(first: $first, after: $after, where: $where, orderBy: $orderBy) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          id
          ...CustomerFields
        }
      }
    }
  }
`);

export const CreateCustomerMutation = graphql(`
  mutation CreateCustomer($input: CreateCustomerInput!) {
    createCustomer(input: $input) {
      customer {
        id
        ...CustomerFields
      }
      userErrors {
        field
        message
        code
      }
    }
  }
`);

export const CustomerEventsSubscription = graphql(`
  subscription CustomerEvents($names: [String!], $afterSequence: Int) {
    events(names: $names, afterSequence: $afterSequence) {
      id
      name
      resourceID
      resourceType
      sequence
      createdAt
      mode
    }
  }
`);
