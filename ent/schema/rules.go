package schema

import (
	"context"
	"fmt"
	"strings"

	gen "clientele/ent"
	"clientele/ent/attachment"
	"clientele/ent/customer"
	"clientele/ent/customeraddress"
	"clientele/ent/customerpasswordreset"
	"clientele/ent/customerpaymentsource"
	"clientele/ent/customersubscription"
	"clientele/ent/hook"
	"clientele/ent/order"
	"clientele/ent/orderreturn"
	"clientele/ent/ordersubscription"
	"clientele/internal/account"
	"clientele/internal/address"
	"clientele/internal/apperr"
	"clientele/internal/clock"
	"clientele/internal/lifecycle"
	"clientele/internal/password"
	"clientele/internal/resource"
	"clientele/internal/viewer"

	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
)

// Hooks of the Customer.
func (Customer) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(customerInputHook, ent.OpCreate|ent.OpUpdateOne|ent.OpUpdate),
		hook.On(customerDeleteHook, ent.OpDelete|ent.OpDeleteOne),
	}
}

// customerInputHook normalises the email (account.NormalizeEmail) and
// hashes the password (password.Hash, whose length errors it returns). Replacing
// or clearing an existing password is for the reset flow and integration
// admins only (a customer could otherwise clear its password and set a new
// one without the reset flow). Every password change on an existing
// customer (set, replaced, reset or cleared) increments the customer's
// session epoch in the same UPDATE statement, which ends every session
// (access and refresh token) issued before it.
func customerInputHook(next ent.Mutator) ent.Mutator {
	return hook.CustomerFunc(func(ctx context.Context, m *gen.CustomerMutation) (gen.Value, error) {
		if e, ok := m.Email(); ok {
			m.SetEmail(account.NormalizeEmail(e))
		}
		pw, set := m.Password()
		if !m.Op().Is(ent.OpCreate) && (set || m.PasswordCleared()) {
			field := "password"
			if !set {
				field = "clearPassword"
			}
			v := viewer.FromContext(ctx)
			if !password.IsReset(ctx) && (v == nil || !v.CanWriteAll()) {
				if !m.Op().Is(ent.OpUpdateOne) {
					return nil, apperr.New(apperr.Forbidden, apperr.Field(field), "passwords are changed one customer at a time")
				}
				old, err := m.OldPassword(ctx)
				if err != nil {
					return nil, err
				}
				if old != nil {
					return nil, apperr.New(apperr.Forbidden, apperr.Field(field),
						"an existing password can only be changed through the password reset flow")
				}
			}
			m.AddSessionEpoch(1)
		}
		if set {
			h, err := password.Hash(pw)
			if err != nil {
				return nil, err
			}
			m.SetPassword(h)
		}
		return next.Mutate(ctx, m)
	})
}

// customerDeleteHook refuses to delete a customer with placed orders or
// returns (LOCKED) and otherwise deletes what only it owned: address book,
// wallet, subscriptions, password resets, unplaced orders, attachments.
func customerDeleteHook(next ent.Mutator) ent.Mutator {
	return hook.CustomerFunc(func(ctx context.Context, m *gen.CustomerMutation) (gen.Value, error) {
		idList, err := m.IDs(ctx)
		if err != nil {
			return nil, err
		}
		c := m.Client()
		placed, err := c.Order.Query().Where(order.CustomerIDIn(idList...), placedOrder).Exist(ctx)
		if err != nil {
			return nil, err
		}
		returns, err := c.OrderReturn.Query().Where(orderreturn.CustomerIDIn(idList...)).Exist(ctx)
		if err != nil {
			return nil, err
		}
		if placed || returns {
			return nil, apperr.New(apperr.Locked, nil, "a customer with placed orders or returns cannot be deleted")
		}
		// The cascade is a consequence of an allowed delete, not a request
		// of the caller's: it runs with the server's rights.
		sys := viewer.Elevated(ctx)
		steps := []func() error{
			func() error {
				_, err := c.CustomerAddress.Delete().Where(customeraddress.CustomerIDIn(idList...)).Exec(sys)
				return err
			},
			func() error {
				_, err := c.CustomerPaymentSource.Delete().Where(customerpaymentsource.CustomerIDIn(idList...)).Exec(sys)
				return err
			},
			func() error {
				_, err := c.CustomerSubscription.Delete().Where(customersubscription.CustomerIDIn(idList...)).Exec(sys)
				return err
			},
			func() error {
				_, err := c.CustomerPasswordReset.Delete().Where(customerpasswordreset.CustomerIDIn(idList...)).Exec(sys)
				return err
			},
			func() error {
				_, err := c.Attachment.Delete().Where(attachment.Or(
					attachment.CustomerIDIn(idList...),
					attachment.HasOrderWith(order.CustomerIDIn(idList...)),
				)).Exec(sys)
				return err
			},
			func() error {
				_, err := c.Order.Delete().Where(order.CustomerIDIn(idList...)).Exec(sys)
				return err
			},
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return nil, fmt.Errorf("delete customer's records: %w", err)
			}
		}
		return next.Mutate(ctx, m)
	})
}

// Hooks of the Address.
func (Address) Hooks() []ent.Hook {
	return []ent.Hook{hook.On(addressHook, ent.OpCreate|ent.OpUpdateOne)}
}

// addressHook requires a company for business addresses and first and last
// names for personal ones, normalises the country code, stores the derived
// fields (full name, one-line forms, localisation) and keeps the copies of
// the name in address-book entries in step.
func addressHook(next ent.Mutator) ent.Mutator {
	return hook.AddressFunc(func(ctx context.Context, m *gen.AddressMutation) (gen.Value, error) {
		if cc, ok := m.CountryCode(); ok {
			m.SetCountryCode(strings.ToUpper(strings.TrimSpace(cc)))
		}
		if m.Op().Is(ent.OpUpdateOne) {
			// Load the record first: an unknown ID is NOT_FOUND, not a
			// missing name.
			if _, err := m.OldBusiness(ctx); err != nil {
				return nil, err
			}
		}
		get := func(f string) string {
			if v, ok := m.Field(f); ok {
				if p, ok := v.(*string); ok && p != nil {
					return *p
				}
				return fmt.Sprint(v)
			}
			if m.FieldCleared(f) || m.Op().Is(ent.OpCreate) {
				return ""
			}
			v, err := m.OldField(ctx, f)
			if err != nil {
				return ""
			}
			switch p := v.(type) {
			case *string:
				if p == nil {
					return ""
				}
				return *p
			case *float64:
				if p == nil {
					return ""
				}
				return fmt.Sprint(*p)
			}
			return fmt.Sprint(v)
		}
		f := address.Fields{
			Business: get("business") == "true", FirstName: get("first_name"), LastName: get("last_name"),
			Company: get("company"), Line1: get("line_1"), Line2: get("line_2"), City: get("city"),
			ZipCode: get("zip_code"), StateCode: get("state_code"), CountryCode: get("country_code"), Phone: get("phone"),
		}
		if f.Business {
			if strings.TrimSpace(f.Company) == "" {
				return nil, apperr.New(apperr.Invalid, apperr.Field("company"), "a business address needs a company")
			}
		} else if strings.TrimSpace(f.FirstName) == "" || strings.TrimSpace(f.LastName) == "" {
			field := "firstName"
			if strings.TrimSpace(f.FirstName) != "" {
				field = "lastName"
			}
			return nil, apperr.New(apperr.Invalid, apperr.Field(field), "a personal address needs a first and a last name")
		}
		for name, value := range map[string]any{
			"full_name": f.FullName(), "full_address": f.FullAddress(), "name": f.Name(),
			"is_localized": get("lat") != "" && get("lng") != "",
		} {
			if err := m.SetField(name, value); err != nil {
				return nil, err
			}
		}
		v, err := next.Mutate(ctx, m)
		if err != nil || !m.Op().Is(ent.OpUpdateOne) {
			return v, err
		}
		id, _ := m.ID()
		u := m.Client().CustomerAddress.Update().Where(customeraddress.AddressID(id), sql.FieldNEQ("name", f.Name()))
		if err := u.Mutation().SetField("name", f.Name()); err != nil {
			return nil, err
		}
		_, err = u.Save(viewer.Elevated(ctx))
		return v, err
	})
}

// Hooks of the CustomerAddress.
func (CustomerAddress) Hooks() []ent.Hook {
	return []ent.Hook{hook.On(customerAddressNameHook, ent.OpCreate|ent.OpUpdateOne)}
}

// customerAddressNameHook copies the linked address's name into the entry.
func customerAddressNameHook(next ent.Mutator) ent.Mutator {
	return hook.CustomerAddressFunc(func(ctx context.Context, m *gen.CustomerAddressMutation) (gen.Value, error) {
		if aid, ok := m.AddressID(); ok {
			name, err := m.Client().Address.Query().Where(sql.FieldEQ("id", aid)).Select("name").String(viewer.Elevated(ctx))
			if err != nil {
				return nil, err // edgeModeHook already refused unknown addresses
			}
			if err := m.SetField("name", name); err != nil {
				return nil, err
			}
		}
		return next.Mutate(ctx, m)
	})
}

// Hooks of the Order.
func (Order) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(orderMoneyHook, ent.OpCreate|ent.OpUpdateOne|ent.OpUpdate),
		hook.On(orderCreateHook, ent.OpCreate),
		hook.On(orderPlaceHook, ent.OpUpdateOne),
		hook.On(orderDeleteHook, ent.OpDelete|ent.OpDeleteOne),
	}
}

// orderMoneyFields are an order's currency and amounts.
var orderMoneyFields = []string{
	order.FieldCurrencyCode, order.FieldSubtotalAmountCents, order.FieldShippingAmountCents,
	order.FieldDiscountAmountCents, order.FieldTotalTaxAmountCents, order.FieldTotalAmountCents,
}

// placedOrder and unplacedOrder select orders that count as placed
// (lifecycle.OrderPlaced) and those that do not.
var (
	placedOrder   = sql.FieldIn(order.FieldStatus, lifecycle.PlacedOrderStatuses...)
	unplacedOrder = sql.FieldNotIn(order.FieldStatus, lifecycle.PlacedOrderStatuses...)
)

// orderMoneyHook guards an order's currency and amounts.
//
//   - The amounts are the store's (an integration's) to set, never a
//     customer's: a customer token that sends a non-zero amount on create,
//     or any amount or the currency on update, is refused with FORBIDDEN
//     (on the field). A customer picks the currency when it creates the
//     order, and cannot change it afterwards.
//   - Once an order is placed (placed, approved or cancelled) nobody may
//     change its currency or amounts: LOCKED (on the field). Sending the
//     current value is not a change. The UPDATE only matches an order that
//     is still unplaced, so a placement racing with the change turns it
//     into LOCKED instead of rewriting a placed order's money.
func orderMoneyHook(next ent.Mutator) ent.Mutator {
	return hook.OrderFunc(func(ctx context.Context, m *gen.OrderMutation) (gen.Value, error) {
		var set []string
		for _, f := range orderMoneyFields {
			if _, ok := m.Field(f); ok {
				set = append(set, f)
			}
		}
		if len(set) == 0 {
			return next.Mutate(ctx, m)
		}
		if v := viewer.FromContext(ctx); v != nil && v.Kind == viewer.Customer {
			for _, f := range set {
				val, _ := m.Field(f)
				if m.Op().Is(ent.OpCreate) && (f == order.FieldCurrencyCode || val == int64(0)) {
					continue // the currency of a new order, or an amount left at its default
				}
				return nil, apperr.New(apperr.Forbidden, apperr.Field(apperr.FieldName(f)),
					"the amounts and currency of an order are set by the store, not by customers")
			}
		}
		switch {
		case m.Op().Is(ent.OpCreate):
			return next.Mutate(ctx, m)
		case m.Op().Is(ent.OpUpdate):
			m.WhereP(unplacedOrder)
			return next.Mutate(ctx, m)
		}
		status, err := m.OldStatus(ctx)
		if err != nil {
			return nil, err
		}
		changed := ""
		for _, f := range set {
			nv, _ := m.Field(f)
			ov, err := m.OldField(ctx, f)
			if err != nil {
				return nil, err
			}
			if nv != ov {
				changed = f
				break
			}
		}
		if changed == "" {
			return next.Mutate(ctx, m)
		}
		locked := apperr.New(apperr.Locked, apperr.Field(apperr.FieldName(changed)),
			"the amounts and currency of a placed order cannot change")
		if lifecycle.OrderPlaced(string(status)) {
			return nil, locked
		}
		m.WhereP(unplacedOrder)
		v, err := next.Mutate(ctx, m)
		if gen.IsNotFound(err) {
			return nil, locked // placed since we read it
		}
		return v, err
	})
}

// orderCreateHook finds the order's customer, numbers the order within its
// mode and copies the customer's email. The customer is named by ID, or by
// email (customer_email on the create): the customer with that email,
// created if there is none (account.FindOrCreateCustomer), in the order's
// transaction. A customer token's own ID is always set (ownCreate), so its
// email, when given, must be its own.
func orderCreateHook(next ent.Mutator) ent.Mutator {
	return hook.OrderFunc(func(ctx context.Context, m *gen.OrderMutation) (gen.Value, error) {
		c := m.Client()
		cid, byID := m.CustomerID()
		email, byEmail := m.CustomerEmail()
		var cust *gen.Customer
		var err error
		switch v := viewer.FromContext(ctx); {
		case byEmail && (!byID || v != nil && v.Kind == viewer.Customer):
			if cust, err = account.FindOrCreateCustomer(ctx, c, email); err == nil && byID && cust.ID != cid {
				err = apperr.New(apperr.NotFound, apperr.Field("customerEmail"), "no customer with this email")
			}
		case byID:
			if cust, err = c.Customer.Get(ctx, cid); gen.IsNotFound(err) {
				err = resource.Get(resource.Customers).NotFound("customerID")
			}
		default:
			err = apperr.New(apperr.Invalid, apperr.Field("customerID"), "an order needs a customer: give customerID or customerEmail")
		}
		if err != nil {
			return nil, err
		}
		m.SetCustomerID(cust.ID)
		m.SetCustomerEmail(cust.Email)
		n, err := NextValue(ctx, c, "orders:"+string(viewer.FromContext(ctx).Mode))
		if err != nil {
			return nil, err
		}
		m.SetNumber(fmt.Sprint(n))
		return next.Mutate(ctx, m)
	})
}

// orderPlaceHook counts an order that becomes placed (lifecycle.OrderPlaced)
// on its customer and moves the customer's status (lifecycle.CustomerStatus),
// in the same transaction and in one UPDATE of the customer (one change,
// one new version). The customer row is locked before it is read (on
// PostgreSQL; SQLite transactions already hold the write lock) and stays
// locked until commit, and the count is an atomic increment, so concurrent
// placements never lose a count (two at once end in REPEAT).
func orderPlaceHook(next ent.Mutator) ent.Mutator {
	return hook.OrderFunc(func(ctx context.Context, m *gen.OrderMutation) (gen.Value, error) {
		s, ok := m.Status()
		if !ok || !lifecycle.OrderPlaced(string(s)) {
			return next.Mutate(ctx, m)
		}
		old, err := m.OldStatus(ctx)
		if err != nil {
			return nil, err
		}
		v, err := next.Mutate(ctx, m)
		if err != nil || lifecycle.OrderPlaced(string(old)) {
			return v, err
		}
		o := v.(*gen.Order)
		c := m.Client()
		ctx = viewer.Elevated(ctx) // the count is the server's, whoever places
		q := c.Customer.Query().Where(customer.ID(o.CustomerID))
		q.Modify(func(s *sql.Selector) {
			if s.Dialect() == dialect.Postgres {
				s.ForUpdate()
			}
		})
		cust, err := q.Only(ctx)
		if err != nil {
			return nil, fmt.Errorf("lock customer of placed order: %w", err)
		}
		u := c.Customer.UpdateOneID(cust.ID).AddTotalOrdersCount(1)
		if want := customer.Status(lifecycle.CustomerStatus(cust.TotalOrdersCount + 1)); want != cust.Status {
			u.SetStatus(want)
		}
		if err := u.Exec(ctx); err != nil {
			return nil, fmt.Errorf("count placed order: %w", err)
		}
		return v, nil
	})
}

// orderDeleteHook refuses to delete placed orders.
func orderDeleteHook(next ent.Mutator) ent.Mutator {
	return hook.OrderFunc(func(ctx context.Context, m *gen.OrderMutation) (gen.Value, error) {
		idList, err := m.IDs(ctx)
		if err != nil {
			return nil, err
		}
		c := m.Client()
		placed, err := c.Order.Query().Where(order.IDIn(idList...), placedOrder).Exist(ctx)
		if err != nil {
			return nil, err
		}
		if placed {
			return nil, apperr.New(apperr.Locked, nil, "placed orders cannot be deleted")
		}
		if _, err := c.Attachment.Delete().Where(attachment.OrderIDIn(idList...)).Exec(ctx); err != nil {
			return nil, err
		}
		return next.Mutate(ctx, m)
	})
}

// Hooks of the OrderReturn.
func (OrderReturn) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(returnCreateHook, ent.OpCreate),
		hook.On(returnRefundHook, ent.OpUpdateOne|ent.OpUpdate),
		hook.On(returnDeleteHook, ent.OpDelete|ent.OpDeleteOne),
	}
}

// returnCreateHook accepts returns only for fulfilled orders, takes the
// customer from the order and numbers the return after it.
func returnCreateHook(next ent.Mutator) ent.Mutator {
	return hook.OrderReturnFunc(func(ctx context.Context, m *gen.OrderReturnMutation) (gen.Value, error) {
		c := m.Client()
		oid, _ := m.OrderID()
		o, err := c.Order.Get(ctx, oid)
		if err != nil {
			return nil, err // edgeModeHook already refused unknown orders
		}
		if o.FulfillmentStatus != order.FulfillmentStatusFULFILLED {
			return nil, apperr.New(apperr.Invalid, apperr.Field("orderID"), "only fulfilled orders can be returned")
		}
		m.SetCustomerID(o.CustomerID)
		if err := m.SetField("currency_code", o.CurrencyCode); err != nil {
			return nil, err
		}
		if est, _ := m.EstimatedRefundAmountCents(); est > 0 {
			if err := checkRefundCap(ctx, c, o.ID, "", est); err != nil {
				return nil, err
			}
		}
		n, err := NextValue(ctx, c, "returns:"+o.ID)
		if err != nil {
			return nil, err
		}
		m.SetNumber(fmt.Sprintf("%s/R/%03d", o.Number, n))
		return next.Mutate(ctx, m)
	})
}

// returnRefundHook keeps a changed estimated refund within the order's
// total (see checkRefundCap). Estimates change one return at a time.
func returnRefundHook(next ent.Mutator) ent.Mutator {
	return hook.OrderReturnFunc(func(ctx context.Context, m *gen.OrderReturnMutation) (gen.Value, error) {
		est, ok := m.EstimatedRefundAmountCents()
		if !ok {
			return next.Mutate(ctx, m)
		}
		if !m.Op().Is(ent.OpUpdateOne) {
			return nil, fmt.Errorf("bulk update of returns.estimated_refund_amount_cents is not allowed: change estimates one return at a time")
		}
		id, _ := m.ID()
		oid, err := m.OldOrderID(ctx)
		if err != nil {
			return nil, err
		}
		if err := checkRefundCap(ctx, m.Client(), oid, id, est); err != nil {
			return nil, err
		}
		return next.Mutate(ctx, m)
	})
}

// checkRefundCap refuses (INVALID on estimatedRefundAmountCents) an
// estimated refund that would take the estimates of the order's open
// returns (all but cancelled and rejected ones), the return `except`
// excluded, above the order's total. It locks the order row first (on
// PostgreSQL; SQLite transactions already hold the write lock), so that
// concurrent returns of the same order are checked one after another and
// under READ COMMITTED each sees the ones committed before it. The order's
// total cannot change any more (returns need a fulfilled, so placed, order).
func checkRefundCap(ctx context.Context, c *gen.Client, orderID, except string, amount int64) error {
	ctx = viewer.Elevated(ctx) // the cap counts every return of the order
	total, err := c.Order.Query().Where(order.ID(orderID)).Modify(func(s *sql.Selector) {
		s.Select(s.C(order.FieldTotalAmountCents))
		if s.Dialect() == dialect.Postgres {
			s.ForUpdate()
		}
	}).Int(ctx)
	if err != nil {
		return fmt.Errorf("lock order %s: %w", orderID, err)
	}
	q := c.OrderReturn.Query().Where(orderreturn.OrderID(orderID),
		orderreturn.StatusNotIn(orderreturn.StatusCANCELLED, orderreturn.StatusREJECTED))
	if except != "" {
		q.Where(orderreturn.IDNEQ(except))
	}
	claimed, err := q.Modify(func(s *sql.Selector) {
		s.Select("COALESCE(SUM(" + s.C(orderreturn.FieldEstimatedRefundAmountCents) + "), 0)")
	}).Int(ctx)
	if err != nil {
		return fmt.Errorf("sum refunds of order %s: %w", orderID, err)
	}
	if int64(claimed)+amount > int64(total) {
		return apperr.New(apperr.Invalid, apperr.Field("estimatedRefundAmountCents"),
			"the estimated refunds of an order's open returns cannot exceed its total (%d cents, %d already estimated by other returns)", total, claimed)
	}
	return nil
}

// returnDeleteHook lets only draft returns be deleted.
func returnDeleteHook(next ent.Mutator) ent.Mutator {
	return hook.OrderReturnFunc(func(ctx context.Context, m *gen.OrderReturnMutation) (gen.Value, error) {
		idList, err := m.IDs(ctx)
		if err != nil {
			return nil, err
		}
		c := m.Client()
		busy, err := c.OrderReturn.Query().Where(orderreturn.IDIn(idList...), orderreturn.StatusNEQ(orderreturn.StatusDRAFT)).Exist(ctx)
		if err != nil {
			return nil, err
		}
		if busy {
			return nil, apperr.New(apperr.Locked, nil, "only draft returns can be deleted")
		}
		if _, err := c.Attachment.Delete().Where(attachment.ReturnIDIn(idList...)).Exec(ctx); err != nil {
			return nil, err
		}
		return next.Mutate(ctx, m)
	})
}

// Hooks of the OrderSubscription.
func (OrderSubscription) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(orderSubscriptionCreateHook, ent.OpCreate),
		hook.On(orderSubscriptionTimesHook, ent.OpCreate|ent.OpUpdateOne),
	}
}

// orderSubscriptionCreateHook accepts only placed source orders, takes the
// customer from the order and activates the subscription when the source
// order activates it (that order is the first run).
func orderSubscriptionCreateHook(next ent.Mutator) ent.Mutator {
	return hook.OrderSubscriptionFunc(func(ctx context.Context, m *gen.OrderSubscriptionMutation) (gen.Value, error) {
		c := m.Client()
		oid, _ := m.SourceOrderID()
		o, err := c.Order.Get(ctx, oid)
		if err != nil {
			return nil, err
		}
		// A cancelled order counts as placed, but runs no more.
		if !lifecycle.OrderPlaced(string(o.Status)) || o.Status == order.StatusCANCELLED {
			return nil, apperr.New(apperr.Invalid, apperr.Field("sourceOrderID"), "the source order must be placed")
		}
		m.SetCustomerID(o.CustomerID)
		n, err := NextValue(ctx, c, "order_subscriptions:"+string(viewer.FromContext(ctx).Mode))
		if err != nil {
			return nil, err
		}
		m.SetNumber(fmt.Sprint(n))
		byOrder, ok := m.ActivateBySourceOrder()
		if !ok {
			byOrder = true
		}
		if byOrder {
			m.SetStatus(ordersubscription.StatusACTIVE)
			m.SetOccurrencies(1)
			if o.PlacedAt != nil {
				m.SetLastRunAt(*o.PlacedAt)
				if _, ok := m.StartsAt(); !ok {
					m.SetStartsAt(*o.PlacedAt)
				}
			}
		} else if _, ok := m.StartsAt(); !ok {
			return nil, apperr.New(apperr.Invalid, apperr.Field("startsAt"), "startsAt is required when the source order does not activate the subscription")
		}
		return next.Mutate(ctx, m)
	})
}

// orderSubscriptionTimesHook keeps expiresAt after startsAt and nextRunAt in
// the future.
func orderSubscriptionTimesHook(next ent.Mutator) ent.Mutator {
	return hook.OrderSubscriptionFunc(func(ctx context.Context, m *gen.OrderSubscriptionMutation) (gen.Value, error) {
		now := clock.Now(ctx)
		if t, ok := m.NextRunAt(); ok && !t.After(now) {
			return nil, apperr.New(apperr.Invalid, apperr.Field("nextRunAt"), "nextRunAt must be in the future")
		}
		if exp, ok := m.ExpiresAt(); ok {
			start, ok := m.StartsAt()
			if !ok && m.Op().Is(ent.OpUpdateOne) {
				if old, err := m.OldStartsAt(ctx); err == nil && old != nil {
					start, ok = *old, true
				}
			}
			if ok && !exp.After(start) {
				return nil, apperr.New(apperr.Invalid, apperr.Field("expiresAt"), "expiresAt must be after startsAt")
			}
			if !exp.After(now) {
				return nil, apperr.New(apperr.Invalid, apperr.Field("expiresAt"), "expiresAt must be in the future")
			}
		}
		return next.Mutate(ctx, m)
	})
}

// Hooks of the Attachment.
func (Attachment) Hooks() []ent.Hook {
	return []ent.Hook{hook.On(attachmentParentHook, ent.OpCreate)}
}

// attachmentParentHook requires exactly one parent.
func attachmentParentHook(next ent.Mutator) ent.Mutator {
	return hook.AttachmentFunc(func(ctx context.Context, m *gen.AttachmentMutation) (gen.Value, error) {
		n := 0
		for _, f := range []string{"customer_id", "customer_group_id", "order_id", "return_id"} {
			if _, ok := m.Field(f); ok {
				n++
			}
		}
		if n != 1 {
			return nil, apperr.New(apperr.Invalid, apperr.Field("attachable"), "an attachment needs exactly one parent: a customer, customer group, order or return")
		}
		return next.Mutate(ctx, m)
	})
}

// Hooks of the Event.
func (Event) Hooks() []ent.Hook { return nil }
