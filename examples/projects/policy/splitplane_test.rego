package splitplane_test

import rego.v1

import data.splitplane

directory := {"admins": {
	"9001": {"tenant_id": "101", "business_id": "2001", "role": "workspace_admin", "active": true, "projects": ["2001001", "2001002", "2001003"]},
	"9002": {"tenant_id": "101", "business_id": "2001", "role": "project_lead", "active": true, "projects": ["2001004", "2001017"]},
	"9003": {"tenant_id": "101", "business_id": "2001", "role": "finance_analyst", "active": true, "projects": ["2001001"]},
	"9004": {"tenant_id": "101", "business_id": "2001", "role": "portfolio_viewer", "active": true, "projects": ["2001001"]},
	"9005": {"tenant_id": "101", "business_id": "2001", "role": "project_lead", "active": false, "projects": ["2001001"]},
	"9006": {"tenant_id": "101", "business_id": "2001", "role": "guest", "active": true, "projects": ["2001001"]},
	"9007": {"tenant_id": "101", "business_id": "2001", "role": "project_lead", "active": true, "projects": []},
	"9501": {"tenant_id": "202", "business_id": "3001", "role": "workspace_admin", "active": true, "projects": ["3001001"]},
}}

decide(tenant, workspace, member) := d if {
	d := splitplane.decision with input as {"tenant_id": tenant, "business_id": workspace, "admin_id": member} with data.directory as directory
}

test_project_lead_is_granted_their_directory_projects if {
	d := decide("101", "2001", "9002")
	d.allow == true
	d.projects_granted == true
	d.role == "project_lead"
	not "projects" in object.keys(d)
	d.project_filters == []
	d.row_filters == {}
	d.masks == {}
}

test_project_lead_sees_no_costs_and_no_emails if {
	d := decide("101", "2001", "9002")
	not "cost_per_hour" in d.tables.teams
	not "lead_email" in d.tables.projects
	"user_id" in d.tables.events
}

test_workspace_admin_sees_every_column if {
	d := decide("101", "2001", "9001")
	d.allow == true
	d.projects_granted == true
	"cost_per_hour" in d.tables.teams
	"lead_email" in d.tables.projects
}

test_finance_analyst_billing_of_the_last_90_days_masked if {
	d := decide("101", "2001", "9003")
	d.allow == true
	not "events" in object.keys(d.tables)
	d.row_filters.billing == [{"column": "billed_on", "op": "within_last_days", "values": [90]}]
	d.masks.projects.lead_email == {"kind": "partial_email"}
	d.masks.teams.cost_per_hour == {"kind": "round", "digits": 0}
}

test_portfolio_viewer_active_projects_only_users_hashed if {
	d := decide("101", "2001", "9004")
	d.allow == true
	d.project_filters == [{"column": "status", "op": "in", "values": ["active"]}]
	d.masks.events.user_id == {"kind": "hash"}
}

test_other_org_admin_allowed_in_its_own_workspace_only if {
	decide("202", "3001", "9501").allow == true
	decide("101", "3001", "9501").allow == false
	decide("202", "2001", "9501").allow == false
	decide("101", "2001", "9501").allow == false
}

test_swapped_org_denied if {
	d := decide("202", "2001", "9002")
	d.allow == false
	d.projects_granted == false
	d.tables == {}
}

test_other_workspace_denied if {
	d := decide("101", "2002", "9002")
	d.allow == false
	d.projects_granted == false
}

test_unknown_member_denied if {
	decide("101", "2001", "9999").allow == false
}

test_inactive_member_denied if {
	d := decide("101", "2001", "9005")
	d.allow == false
	d.tables == {}
}

test_unknown_role_denied if {
	d := decide("101", "2001", "9006")
	d.allow == false
	d.tables == {}
}

test_no_projects_allowed_with_empty_scope if {
	d := decide("101", "2001", "9007")
	d.allow == true
	d.projects_granted == true
}

test_numeric_ids_denied if {
	d := splitplane.decision with input as {"tenant_id": 101, "business_id": 2001, "admin_id": 9002} with data.directory as directory
	d.allow == false
	d.tables == {}
}

test_injection_shaped_ids_denied if {
	decide("101", "2001 OR 1=1", "9002").allow == false
}

test_missing_input_denied if {
	d := splitplane.decision with input as {} with data.directory as directory
	d.allow == false
}

test_no_directory_denied if {
	d := splitplane.decision with input as {"tenant_id": "101", "business_id": "2001", "admin_id": "9002"} with data.directory as {}
	d.allow == false
}

test_a_denied_decision_carries_no_filters_or_masks if {
	d := decide("202", "2001", "9004")
	d.allow == false
	d.masks == {}
	d.row_filters == {}
	d.project_filters == []
}

test_no_role_exposes_user_accounts if {
	every _, tables in splitplane.role_tables {
		not "usr_accounts" in object.keys(tables)
		not "users" in object.keys(tables)
	}
}

test_every_mask_is_on_a_column_the_role_exposes if {
	every role, tables in splitplane.role_masks {
		every table, cols in tables {
			every col, _ in cols {
				col in splitplane.role_tables[role][table]
			}
		}
	}
}

test_every_row_filter_is_on_a_table_the_role_exposes if {
	every role, tables in splitplane.role_row_filters {
		every table, _ in tables {
			table in object.keys(splitplane.role_tables[role])
		}
	}
}
