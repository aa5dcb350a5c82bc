# splitplane scope policy.
#
# Decides, from the verified identity in `input` and the directory in `data`,
# what one admin may see: whether the request is allowed at all, the
# locations in scope (locations_granted: the admin's directory grant; or an
# explicit "locations" list), and the sandbox tables with their allowed columns.
#
#   input: {"tenant_id": "12", "business_id": "628", "admin_id": "7042"}   (decimal strings)
#   data.directory.admins[admin_id]: {"tenant_id", "business_id", "role", "active", "locations": [...]}
#
# Deny is the default: a missing admin, a tenant or business that does not
# match the directory, an inactive admin or an unknown role all give
# allow == false, locations_granted == false and no tables.
package splitplane

import rego.v1

# Logical sandbox tables and the columns each role may see. Column names
# here are those of the sandbox CTEs, not of the raw warehouse tables.
role_tables := {
	"brand_manager": {
		"daily_sales": ["location_id", "business_date", "net_sales_amount", "order_count", "guest_count"],
		"item_sales": ["location_id", "business_date", "item_id", "quantity", "net_amount"],
		"locations": ["location_id", "name", "city", "state", "opened_on", "manager_email"],
		"menu_items": ["item_id", "name", "category", "price", "unit_cost"],
	},
	"franchise_owner": {
		"daily_sales": ["location_id", "business_date", "net_sales_amount", "order_count", "guest_count"],
		"item_sales": ["location_id", "business_date", "item_id", "quantity", "net_amount"],
		"locations": ["location_id", "name", "city", "state", "opened_on"],
		"menu_items": ["item_id", "name", "category", "price"],
	},
	# Every store of the business in two states (a location filter narrows the grant).
	"regional_director": {
		"daily_sales": ["location_id", "business_date", "net_sales_amount", "order_count", "guest_count"],
		"item_sales": ["location_id", "business_date", "item_id", "quantity", "net_amount"],
		"locations": ["location_id", "name", "city", "state", "opened_on", "manager_email"],
		"menu_items": ["item_id", "name", "category", "price", "unit_cost"],
	},
	# Store operations: sees the store managers' e-mails masked, and menu costs rounded to dollars.
	"operations_analyst": {
		"daily_sales": ["location_id", "business_date", "net_sales_amount", "order_count", "guest_count"],
		"locations": ["location_id", "name", "city", "state", "opened_on", "manager_email"],
		"menu_items": ["item_id", "name", "category", "price", "unit_cost"],
	},
	# An outside contractor: sales of the last 90 days only.
	"contractor": {
		"daily_sales": ["location_id", "business_date", "net_sales_amount", "order_count", "guest_count"],
		"item_sales": ["location_id", "business_date", "item_id", "quantity", "net_amount"],
		"locations": ["location_id", "name", "city", "state"],
		"menu_items": ["item_id", "name", "category", "price"],
	},
}

# Row filters, location filters and masks per role: structured, never SQL. The service checks each
# column, operator, value and mask kind against its table registry and refuses the decision
# (SP_ERR_POLICY_INVALID) on anything it does not know. Operators: eq, ne, in, not_in, gte, lte,
# between, within_last_days (a date column: the last N days before the service's today). Masks:
# null, fixed (value), hash (keyed with the deployment's key), partial_email, round (digits),
# bucket (width).
role_row_filters := {
	"contractor": {
		"daily_sales": [{"column": "business_date", "op": "within_last_days", "values": [90]}],
		"item_sales": [{"column": "business_date", "op": "within_last_days", "values": [90]}],
	},
}

role_location_filters := {"regional_director": [{"column": "state", "op": "in", "values": ["IL", "WI"]}]}

role_masks := {"operations_analyst": {
	"locations": {"manager_email": {"kind": "partial_email"}},
	"menu_items": {"unit_cost": {"kind": "round", "digits": 0}},
}}

# Peer benchmarks (src/benchmark/): measures (catalog metric ids) a role may compare against peer
# stores, over fixed groupings ("business", or a dimension of the stores such as "state"), released
# only for a group of at least k peer stores outside the caller's scope with sales in the period;
# includeSelf: whether the caller's own stores count in the released figures (never in k). The
# service checks every measure and grouping against its catalog (SP_ERR_POLICY_INVALID otherwise).
role_benchmarks := {
	"franchise_owner": [{"measures": ["net_sales_amount", "order_count"], "groups": ["business", "state"], "k": 10, "includeSelf": false}],
	"regional_director": [{"measures": ["net_sales_amount", "order_count"], "groups": ["state"], "k": 10, "includeSelf": false}],
}

id_pattern := `^[1-9][0-9]{0,17}$`

valid_input if {
	is_string(input.tenant_id)
	is_string(input.business_id)
	is_string(input.admin_id)
	regex.match(id_pattern, input.tenant_id)
	regex.match(id_pattern, input.business_id)
	regex.match(id_pattern, input.admin_id)
}

admin := data.directory.admins[input.admin_id] if valid_input

default allow := false

allow if {
	admin.active == true
	admin.tenant_id == input.tenant_id
	admin.business_id == input.business_id
	role_tables[admin.role]
}

# Location IDs (decimal strings) in scope. Empty unless allowed. The service checks every ID
# against the same pattern and refuses the whole decision if one does not match (no per-ID
# regex here: in wasm it made a 10,000-location grant cost ~0.5 s per decision).

# The admin's whole grant, as the directory holds it. The decision says so
# (locations_granted) instead of copying the list: the service reads the list
# from the same directory snapshot it gave this policy, so a 10,000-location
# grant costs a decision no more than a 2-location one. A policy that narrows
# the grant returns "locations": [...] instead (the service accepts either,
# never both).
locations_granted := allow

default tables := {}

tables := role_tables[admin.role] if allow

default role := ""

role := admin.role if allow

default row_filters := {}

row_filters := object.get(role_row_filters, admin.role, {}) if allow

default location_filters := []

location_filters := object.get(role_location_filters, admin.role, []) if allow

default masks := {}

masks := object.get(role_masks, admin.role, {}) if allow

default benchmarks := []

benchmarks := object.get(role_benchmarks, admin.role, []) if allow

# The single entrypoint the service evaluates.
decision := {
	"allow": allow,
	"tenant_id": input.tenant_id,
	"business_id": input.business_id,
	"admin_id": input.admin_id,
	"role": role,
	"locations_granted": locations_granted,
	"tables": tables,
	"row_filters": row_filters,
	"location_filters": location_filters,
	"masks": masks,
	"benchmarks": benchmarks,
} if valid_input

default decision := {"allow": false, "role": "", "locations_granted": false, "tables": {}}
