// Code a client would write against the generated types. It is never run:
// `tsc --noEmit` checks it, so a schema change that renames or retypes a
// field these operations use, or changes a scalar's shape, fails the build.
import type { ResultOf, VariablesOf } from '@graphql-typed-document-node/core';
import { getFragmentData, type FragmentType } from './gql';
import type {
  CreateCustomerInput,
  CustomerByIdQuery,
  CustomerEventsSubscription as CustomerEventsResult,
  CustomerStatus,
  CustomersPageQueryVariables,
  Mode,
  UserErrorCode,
} from './gql/graphql';
import {
  CreateCustomerMutation,
  CustomerByIdQuery as CustomerByIdDocument,
  CustomerEventsSubscription,
  CustomerFieldsFragment,
  CustomersPageQuery,
} from './documents';

// Scalars: Time and Cursor are strings, Map is a JSON object.
type Expect<T extends true> = T;
type Equal<A, B> = (<G>() => G extends A ? 1 : 2) extends <G>() => G extends B ? 1 : 2 ? true : false;

type Customer = ResultOf<typeof CustomerFieldsFragment>;
export type Checks = [
  Expect<Equal<Customer['createdAt'], string>>,
  Expect<Equal<Customer['metadata'], Record<string, unknown>>>,
  Expect<Equal<Customer['reference'], string | null>>,
  Expect<Equal<Customer['status'], 'PROSPECT' | 'ACQUIRED' | 'REPEAT'>>,
  Expect<Equal<Customer['mode'], Mode>>,
  Expect<Equal<NonNullable<CustomersPageQueryVariables['after']>, string>>,
  Expect<Equal<ResultOf<typeof CustomersPageQuery>['customers']['pageInfo']['endCursor'], string | null>>,
  Expect<Equal<VariablesOf<typeof CreateCustomerMutation>['input'], CreateCustomerInput>>,
  Expect<Equal<CustomerEventsResult['events']['sequence'], number>>,
  Expect<Equal<CustomerEventsResult['events']['resourceID'], string>>,
];

export function statusLabel(status: CustomerStatus): string {
  switch (status) {
    case 'PROSPECT':
      return 'No orders yet';
    case 'ACQUIRED':
      return 'One order';
    case 'REPEAT':
      return 'Repeat customer';
  }
}

export function describeCustomer(ref: FragmentType<typeof CustomerFieldsFragment>): string {
  const c = getFragmentData(CustomerFieldsFragment, ref);
  const created: Date = new Date(c.createdAt);
  const tags = Object.keys(c.metadata).join(', ');
  return `${c.email} (${statusLabel(c.status)}, ${c.mode}) since ${created.toISOString()} [${tags}] ${c.links.self}`;
}

export function customerFromNode(data: CustomerByIdQuery): string | null {
  if (data.node?.__typename !== 'Customer') return null;
  const group: string | undefined = data.node.customerGroup?.name;
  return `${describeCustomer(data.node)} ${group ?? ''}`;
}

export function nextPage(
  data: ResultOf<typeof CustomersPageQuery>,
  vars: VariablesOf<typeof CustomersPageQuery>,
): VariablesOf<typeof CustomersPageQuery> | null {
  const { hasNextPage, endCursor } = data.customers.pageInfo;
  if (!hasNextPage || !endCursor) return null;
  const emails = (data.customers.edges ?? []).flatMap((e) => (e?.node ? [describeCustomer(e.node)] : []));
  void emails;
  return { ...vars, after: endCursor, orderBy: [{ field: 'CREATED_AT', direction: 'DESC' }] };
}

export function newCustomerInput(email: string): VariablesOf<typeof CreateCustomerMutation> {
  return { input: { email, metadata: { source: 'e2e', tier: 2 }, reference: null } };
}

export function createdOrErrors(result: ResultOf<typeof CreateCustomerMutation>): string {
  const payload = result.createCustomer;
  if (!payload) return 'no payload';
  if (payload.userErrors.length > 0) {
    return payload.userErrors
      .map((e) => {
        const code: UserErrorCode = e.code;
        return `${(e.field ?? []).join('.')}: ${e.message} (${code})`;
      })
      .join('; ');
  }
  return payload.customer ? payload.customer.id : 'none';
}

export const documents = [CustomerByIdDocument, CustomersPageQuery, CreateCustomerMutation, CustomerEventsSubscription];
