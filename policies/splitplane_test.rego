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
	"7101": {"tenant_id": "12", "business_id": "628", "role": "regional_director", "active": true, "locations": ["628001", "628017"]},
	"7102": {"tenant_id": "12", "business_id": "628", "role": "operations_analyst", "active": true, "locations": ["628001"]},
	"7103": {"tenant_id": "12", "business_id": "628", "role": "contractor", "active": true, "locations": ["628001"]},
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

decide(admin_id) := d if {
	d := splitplane.decision with input as {"tenant_id": "12", "business_id": "628", "admin_id": admin_id} with data.directory as directory
}

test_regional_director_is_narrowed_to_two_states if {
	d := decide("7101")
	d.allow == true
	d.locations_granted == true
	d.location_filters == [{"column": "state", "op": "in", "values": ["IL", "WI"]}]
	d.row_filters == {}
	d.masks == {}
}

test_operations_analyst_sees_emails_masked_and_costs_rounded if {
	d := decide("7102")
	d.allow == true
	"manager_email" in d.tables.locations
	d.masks.locations.manager_email == {"kind": "partial_email"}
	d.masks.menu_items.unit_cost == {"kind": "round", "digits": 0}
	not "item_sales" in object.keys(d.tables)
}

test_contractor_limited_to_the_last_90_days if {
	d := decide("7103")
	d.allow == true
	d.row_filters.daily_sales == [{"column": "business_date", "op": "within_last_days", "values": [90]}]
	d.row_filters.item_sales == [{"column": "business_date", "op": "within_last_days", "values": [90]}]
	not "opened_on" in d.tables.locations
}

test_existing_roles_have_no_filters_or_masks if {
	every id in ["7042", "7001"] {
		d := decide(id)
		d.row_filters == {}
		d.location_filters == []
		d.masks == {}
	}
}

test_a_denied_decision_carries_no_filters_or_masks if {
	d := splitplane.decision with input as {"tenant_id": "31", "business_id": "628", "admin_id": "7101"} with data.directory as directory
	d.allow == false
	d.tables == {}
	not d.masks.locations
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

test_franchise_owner_may_benchmark_sales_against_the_business_and_their_states if {
	d := splitplane.decision with input as franchise_owner with data.directory as directory
	count(d.benchmarks) == 1
	b := d.benchmarks[0]
	b.measures == ["net_sales_amount", "order_count"]
	b.groups == ["business", "state"]
	b.k == 10
	b.includeSelf == false
}

test_regional_director_may_benchmark_per_state_only if {
	d := splitplane.decision with input as {"tenant_id": "12", "business_id": "628", "admin_id": "7101"} with data.directory as directory
	count(d.benchmarks) == 1
	d.benchmarks[0].groups == ["state"]
	d.benchmarks[0].k == 10
}

test_other_roles_get_no_benchmark if {
	every id in ["7001", "7102", "7103"] {
		d := splitplane.decision with input as {"tenant_id": "12", "business_id": "628", "admin_id": id} with data.directory as directory
		d.allow == true
		d.benchmarks == []
	}
}

test_denied_decisions_carry_no_benchmark if {
	d := splitplane.decision with input as {"tenant_id": "31", "business_id": "628", "admin_id": "7042"} with data.directory as directory
	d.allow == false
	object.get(d, "benchmarks", []) == []
	d2 := splitplane.decision with input as {"tenant_id": "12", "business_id": "628", "admin_id": "7050"} with data.directory as directory
	d2.benchmarks == []
}

test_every_benchmark_grant_has_k_of_at_least_ten_and_excludes_self if {
	every _, grants in splitplane.role_benchmarks {
		every g in grants {
			g.k >= 10
			g.includeSelf == false
		}
	}
}
