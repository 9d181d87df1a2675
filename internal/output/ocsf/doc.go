// Package ocsf writes normalized events as OCSF 1.3.0 JSON lines, one event class per event.
package ocsf

// Schema notes.
//
// Target: OCSF 1.3.0; every event carries metadata.version "1.3.0".
//
// Requirements were read from the compiled OCSF 1.3.0 schema (the
// ocsf-1.3.0 export: base_event, the classes api_activity, authentication,
// account_change, network_activity and vulnerability_finding, and the
// objects metadata, product, cloud, account, actor, user, group, idp,
// session, api, service, http_request, network_endpoint,
// network_connection_info, network_traffic, firewall_rule,
// resource_details, finding_info, vulnerability, cve, cvss,
// affected_package), cross-checked against the ocsf-schema source files
// events/base_event.json, events/application/api_activity.json,
// events/iam/authentication.json, events/iam/account_change.json and
// objects/{metadata,product,actor,api}.json.
//
// Required in every class (base event): activity_id, category_uid,
// class_uid, metadata{product{vendor_name, name|uid}, version},
// severity_id, time, type_uid (= class_uid*100 + activity_id).
// Profiles add requirements when the event declares them in
// metadata.profiles: "cloud" requires cloud{provider}; "security_control"
// (network only here) requires action_id.
//
//	API Activity (6003):      actor{user|app_name|...}, api{operation}, src_endpoint
//	Authentication (3002):    user{name|uid|account}; at least one of service, dst_endpoint
//	Account Change (3001):    user{name|uid|account}
//	Network Activity (4001):  dst_endpoint (src_endpoint is recommended)
//	Vulnerability Finding (2002): finding_info{uid, title}, vulnerabilities[]
//	                          (each: cve{uid} or cwe; cvss{base_score, version};
//	                          affected_packages{name, version})
//
// Object constraints honoured: network_endpoint needs one of hostname,
// instance_uid, interface_name, interface_uid, ip, name, svc_name, uid;
// user one of account, name, uid; account, group, idp, service,
// resource_details, firewall_rule and product one of name, uid;
// network_connection_info requires direction_id.
//
// Where the event lacks a value for something required, the writer uses
// the schema's own fallbacks: id 0 (Unknown) or 99 (Other, with the source
// value in the sibling string), and the string "Unknown" for required names.
