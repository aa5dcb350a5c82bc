# Tracklane's scope policy (the project-tracking example of splitplane).
#
# Decides, from the verified identity in `input` and the directory in `data`,
# what one workspace member may see: whether the request is allowed at all,
# the projects in scope (projects_granted: the member's directory grant,
# narrowed by project_filters for some roles), the sandbox tables with their
# columns, row filters and column masks.
#
#   input: {"tenant_id": "101", "business_id": "2001", "admin_id": "9002"}   (decimal strings;
#          the tenant is an organisation, the business a workspace)
#   data.directory.admins[admin_id]: {"tenant_id", "business_id", "role", "active", "projects": [...]}
#
# Deny by default: a missing member, an organisation or workspace that does not
# match the directory, an inactive member or an unknown role all give
# allow == false, projects_granted == false and no tables.
package splitplane

import rego.v1

# Logical sandbox tables (examples/projects/catalog/tables.yaml) and the columns each role may see.
role_tables := {
	# Runs the workspace: every project, every column.
	"workspace_admin": {
		"events": ["event_id", "project_id", "user_id", "occurred_at", "kind", "duration_ms"],
		"billing": ["project_id", "team_id", "billed_on", "billable_hours", "invoiced_usd"],
		"projects": ["project_id", "title", "team_id", "status", "client", "kicked_off", "lead_email"],
		"teams": ["team_id", "team_name", "department", "cost_per_hour"],
	},
	# Leads a few projects (the directory grant): their activity and billing; no internal costs, no e-mails.
	"project_lead": {
		"events": ["event_id", "project_id", "user_id", "occurred_at", "kind", "duration_ms"],
		"billing": ["project_id", "team_id", "billed_on", "billable_hours", "invoiced_usd"],
		"projects": ["project_id", "title", "team_id", "status", "client", "kicked_off"],
		"teams": ["team_id", "team_name", "department"],
	},
	# Finance: billing only, of the last 90 days; leads' e-mails masked, team costs rounded to dollars.
	"finance_analyst": {
		"billing": ["project_id", "team_id", "billed_on", "billable_hours", "invoiced_usd"],
		"projects": ["project_id", "title", "team_id", "status", "client", "lead_email"],
		"teams": ["team_id", "team_name", "department", "cost_per_hour"],
	},
	# Portfolio view: active projects only (a project filter narrows the grant); users pseudonymised.
	"portfolio_viewer": {
		"events": ["event_id", "project_id", "user_id", "occurred_at", "kind", "duration_ms"],
		"billing": ["project_id", "team_id", "billed_on", "billable_hours", "invoiced_usd"],
		"projects": ["project_id", "title", "team_id", "status", "client", "kicked_off"],
		"teams": ["team_id", "team_name", "department"],
	},
}

# Structured, never SQL; checked by the service against the table registry (fail closed).
role_row_filters := {"finance_analyst": {"billing": [{"column": "billed_on", "op": "within_last_days", "values": [90]}]}}

role_project_filters := {"portfolio_viewer": [{"column": "status", "op": "in", "values": ["active"]}]}

role_masks := {
	"finance_analyst": {
		"projects": {"lead_email": {"kind": "partial_email"}},
		"teams": {"cost_per_hour": {"kind": "round", "digits": 0}},
	},
	"portfolio_viewer": {"events": {"user_id": {"kind": "hash"}}},
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

member := data.directory.admins[input.admin_id] if valid_input

default allow := false

allow if {
	member.active == true
	member.tenant_id == input.tenant_id
	member.business_id == input.business_id
	role_tables[member.role]
}

# The member's whole directory grant (the service reads the list from the same snapshot).
projects_granted := allow

default tables := {}

tables := role_tables[member.role] if allow

default role := ""

role := member.role if allow

default row_filters := {}

row_filters := object.get(role_row_filters, member.role, {}) if allow

default project_filters := []

project_filters := object.get(role_project_filters, member.role, []) if allow

default masks := {}

masks := object.get(role_masks, member.role, {}) if allow

# The single entrypoint the service evaluates.
decision := {
	"allow": allow,
	"tenant_id": input.tenant_id,
	"business_id": input.business_id,
	"admin_id": input.admin_id,
	"role": role,
	"projects_granted": projects_granted,
	"tables": tables,
	"row_filters": row_filters,
	"project_filters": project_filters,
	"masks": masks,
} if valid_input

default decision := {"allow": false, "role": "", "projects_granted": false, "tables": {}}
