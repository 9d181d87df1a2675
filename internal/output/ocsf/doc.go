// Package ocsf writes normalized events as OCSF 1.3.0 JSON lines, one event class per event,
// and detection alerts (Finding) as OCSF Detection Findings.
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
// affected_package; for findings also detection_finding, analytic,
// attack, tactic, technique, sub_technique, evidences, related_event),
// cross-checked against the ocsf-schema source files
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
//	Detection Finding (2004): finding_info{uid, title}
//
// Detection Finding (the export's detection_finding class, extending
// finding, and the objects finding_info, analytic, attack, tactic,
// technique, sub_technique, evidences and related_event) requires only
// finding_info beyond the base event; its profiles add cloud (cloud) and
// action_id (security_control). vigil does not declare security_control:
// it reports, it does not allow or block, so the class's own attacks
// attribute (a security_control one) is left out and the ATT&CK details
// go to finding_info.attacks. Objects used: analytic requires type_id and
// one of name, uid; attack one of tactic, technique, sub_technique (and
// recommends version); tactic, technique and sub_technique one of name,
// uid; evidences one of its artifacts (actor, api, src_endpoint,
// dst_endpoint, user...); related_event requires uid. vigil fills a
// Finding as:
//
//	activity_id 1 Create, type_uid 200401, status_id 1 New
//	severity_id      from the Sigma level: informational 1, low 2, medium 3,
//	                 high 4, critical 5 (other words as for vulnerability
//	                 severities); none 0 Unknown; unknown words 99 Other
//	time             the finding's time (its last event), else the latest
//	                 event time, else when it was written; start_time,
//	                 end_time and count for correlations
//	message          rule title, then "(field=value, ...)" for group-by values
//	metadata         product{name "vigil", vendor_name "vigil"}, version,
//	                 uid = finding_info.uid, labels = the rule's tags
//	cloud            {provider, region, account} when every event has the
//	                 same cloud vendor (region, account when all agree),
//	                 with the cloud profile
//	finding_info     uid: "vigil-" + FNV-1a of rule id, time and group-by;
//	                 title: rule title (else id, else "Unknown"); desc;
//	                 analytic{name, uid, type_id 1 Rule}; attacks from
//	                 attack.<tactic>, attack.taNNNN, attack.tNNNN and
//	                 attack.tNNNN.NNN tags (each technique with each tactic;
//	                 names from a table of cloud and container techniques,
//	                 uid alone otherwise; version "v14"); types [rule type];
//	                 first_seen_time, last_seen_time; data_sources (event
//	                 products); related_events{uid = the event's
//	                 metadata.uid, type_uid, type_name}
//	evidences[]      per event, identical ones once: actor{user}, api{operation},
//	                 src_endpoint, dst_endpoint (flows), user (account changes)
//	resources[]      buckets, objects, instances, images, repositories,
//	                 registries, clusters, workloads the events name, once each
//	unmapped         group_by{field: value}
//
// Evidences, resources and related events describe at most the latest 20
// events of a finding. Raw records are not written.
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
