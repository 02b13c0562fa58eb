import { graphql } from 'relay-runtime';

export const CustomerRowFragment = graphql`
  fragment CustomerRow_customer on Customer @refetchable(queryName: "CustomerRowRefetchQuery") {
    id
    email
    status
    metadata
    createdAt
    customerGroup {
      id
      name
    }
  }
`;

export const CustomerRowCreateMutation = graphql`
  mutation CustomerRowCreateMutation($input: CreateCustomerInput!, $connections: [ID!]!) {
    createCustomer(input: $input) {
      customer @prependNode(connections: $connections, edgeTypeName: "CustomerEdge") {
        id
        ...CustomerRow_customer
      }
      userErrors {
        field
        message
        code
      }
    }
  }
`;

export const CustomerEventsSubscription = graphql`
  subscription CustomerRowEventsSubscription {
    events(names: ["customers.create", "customers.update"]) {
      id
      name
      resourceID
      sequence
      resource {
        id
        ...CustomerRow_customer
      }
    }
  }
`;
