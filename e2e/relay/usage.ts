// Code using the Relay artifacts' types (relay/__generated__), checked by tsc
// together with src/.
import type { CustomerListQuery$variables, CustomerListQuery$data } from './__generated__/CustomerListQuery.graphql';
import type { CustomerList_query$data } from './__generated__/CustomerList_query.graphql';
import type { CustomerRow_customer$data } from './__generated__/CustomerRow_customer.graphql';
import type { CustomerRowCreateMutation$variables } from './__generated__/CustomerRowCreateMutation.graphql';
import type { CustomerRowEventsSubscription$data } from './__generated__/CustomerRowEventsSubscription.graphql';

export function firstPage(search: string): CustomerListQuery$variables {
  return { first: 10, after: null, search };
}

export function hasViewer(data: CustomerListQuery$data): boolean {
  return data.viewer != null;
}

export function endCursor(data: CustomerList_query$data): string | null | undefined {
  const ids: string[] = (data.customers.edges ?? []).flatMap((e) => (e?.node ? [e.node.id] : []));
  void ids;
  return data.customers.pageInfo.endCursor;
}

export function row(c: CustomerRow_customer$data): string {
  const created: string = c.createdAt;
  const meta: Record<string, unknown> = c.metadata;
  const status: 'PROSPECT' | 'ACQUIRED' | 'REPEAT' | '%future added value' = c.status;
  return `${c.email} ${created} ${Object.keys(meta).length} ${status} ${c.customerGroup?.name ?? ''}`;
}

export function create(email: string, connectionID: string): CustomerRowCreateMutation$variables {
  return { input: { email, metadata: { via: 'relay' } }, connections: [connectionID] };
}

export function eventSequence(data: CustomerRowEventsSubscription$data): number {
  return data.events.sequence;
}
