package splitplane_test

import rego.v1

import data.splitplane

directory := {"admins": {
	"7042": {"tenant_id": "12", "business_id": "628", "role": "franchise_owner", "active": true, "locations": ["628017", "628123"]},
	"7001": {"tenant_id": "12", "business_id": "628", "role": "brand_manager", "active": true, "locations": ["628001", "628002", "628017"]},
	"7099": {"tenant_id": "12", "business_id": "628", "role": "franchise_owner", "active": true, "locations": []},
	"7050": {"tenant_id": "12", "business_id": "628", "role": "franchise_owner", "active": false, "locations": ["628001"]},
	"7060": {"tenant_id": "12", "business_id": "628", "role": "intern", "active": true, "locations": ["628001"]},
	"5401": {"tenant_id": "31", "business_id": "544", "role": "brand_manager", "active": true, "locations": ["544001"]},
}}

franchise_owner := {"tenant_id": "12", "business_id": "628", "admin_id": "7042"}

test_franchise_owner_is_granted_their_directory_locations if {
	d := splitplane.decision with input as franchise_owner with data.directory as directory
	d.allow == true
	d.locations_granted == true
	d.role == "franchise_owner"
}

test_franchise_owner_cannot_see_unit_cost_or_manager_email if {
	d := splitplane.decision with input as franchise_owner with data.directory as directory
	not "unit_cost" in d.tables.menu_items
	not "manager_email" in d.tables.locations
	"net_sales_amount" in d.tables.daily_sales
}

test_brand_manager_sees_cost_columns if {
	d := splitplane.decision with input as {"tenant_id": "12", "business_id": "628", "admin_id": "7001"} with data.directory as directory
	d.allow == true
	"unit_cost" in d.tables.menu_items
	d.locations_granted == true
}

test_no_role_exposes_customers if {
	every _, tables in splitplane.role_tables {
		not "customers" in object.keys(tables)
	}
}

test_swapped_tenant_denied if {
	d := splitplane.decision with input as {"tenant_id": "31", "business_id": "628", "admin_id": "7042"} with data.directory as directory
	d.allow == false
	d.locations_granted == false
	d.tables == {}
}

test_other_business_denied if {
	d := splitplane.decision with input as {"tenant_id": "12", "business_id": "544", "admin_id": "7042"} with data.directory as directory
	d.allow == false
	d.locations_granted == false
}

test_unknown_admin_denied if {
	d := splitplane.decision with input as {"tenant_id": "12", "business_id": "628", "admin_id": "9999"} with data.directory as directory
	d.allow == false
}

test_inactive_admin_denied if {
	d := splitplane.decision with input as {"tenant_id": "12", "business_id": "628", "admin_id": "7050"} with data.directory as directory
	d.allow == false
}

test_unknown_role_denied if {
	d := splitplane.decision with input as {"tenant_id": "12", "business_id": "628", "admin_id": "7060"} with data.directory as directory
	d.allow == false
	d.tables == {}
}

test_zero_locations_allowed_with_empty_scope if {
	d := splitplane.decision with input as {"tenant_id": "12", "business_id": "628", "admin_id": "7099"} with data.directory as directory
	d.allow == true
	d.locations_granted == true
}

test_numeric_ids_denied if {
	d := splitplane.decision with input as {"tenant_id": 12, "business_id": 628, "admin_id": 7042} with data.directory as directory
	d.allow == false
	d.tables == {}
}

test_injection_shaped_ids_denied if {
	d := splitplane.decision with input as {"tenant_id": "12", "business_id": "628 OR 1=1", "admin_id": "7042"} with data.directory as directory
	d.allow == false
}

test_missing_input_denied if {
	d := splitplane.decision with input as {} with data.directory as directory
	d.allow == false
}

test_no_directory_denied if {
	d := splitplane.decision with input as franchise_owner with data.directory as {}
	d.allow == false
}

test_the_decision_names_the_grant_and_never_copies_it if {
	# The service reads the list from the directory snapshot it gave the policy, and validates its IDs.
	d := splitplane.decision with input as franchise_owner with data.directory as directory
	d.locations_granted == true
	not "locations" in object.keys(d)
}
