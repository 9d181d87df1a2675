package ocsf_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// This file holds what the tests check against: the OCSF 1.3.0
// requirements for the six classes vigil writes and the objects they use,
// transcribed from the compiled 1.3.0 schema (see schema.go in the
// package). Only "required" attributes and the objects' "at_least_one"
// constraints are listed; attrs lists the attributes a class defines that
// vigil may write, so that a misspelt or misplaced attribute fails too.

type objSpec struct {
	required   []string
	atLeastOne []string
	children   map[string]string // attribute → object type of nested objects
	enums      map[string][]int  // integer attribute → allowed values
}

var objects = map[string]objSpec{
	"metadata": {required: []string{"product", "version"}, children: map[string]string{"product": "product"}},
	"product":  {required: []string{"vendor_name"}, atLeastOne: []string{"name", "uid"}},
	"cloud":    {required: []string{"provider"}, children: map[string]string{"account": "account"}},
	"account":  {atLeastOne: []string{"name", "uid"}},
	"actor": {atLeastOne: []string{"app_name", "app_uid", "invoked_by", "process", "session", "user"},
		children: map[string]string{"user": "user", "idp": "idp", "session": "session"}},
	"user": {atLeastOne: []string{"account", "name", "uid"},
		children: map[string]string{"account": "account", "groups": "group"},
		enums:    map[string][]int{"type_id": {0, 1, 2, 3, 99}}},
	"group":            {atLeastOne: []string{"name", "uid"}},
	"idp":              {atLeastOne: []string{"name", "uid"}},
	"session":          {},
	"api":              {required: []string{"operation"}, children: map[string]string{"service": "service"}},
	"service":          {atLeastOne: []string{"name", "uid"}},
	"http_request":     {},
	"network_endpoint": {atLeastOne: []string{"hostname", "instance_uid", "interface_name", "interface_uid", "ip", "name", "svc_name", "uid"}},
	"network_connection_info": {required: []string{"direction_id"},
		enums: map[string][]int{"direction_id": {0, 1, 2, 3, 99}}},
	"network_traffic":  {},
	"firewall_rule":    {atLeastOne: []string{"name", "uid"}},
	"policy":           {atLeastOne: []string{"name", "uid"}},
	"resource_details": {atLeastOne: []string{"name", "uid"}},
	"finding_info": {required: []string{"uid", "title"},
		children: map[string]string{"analytic": "analytic", "attacks": "attack", "related_events": "related_event"}},
	"analytic": {required: []string{"type_id"}, atLeastOne: []string{"name", "uid"},
		enums: map[string][]int{"type_id": {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 99}}},
	"attack": {atLeastOne: []string{"sub_technique", "tactic", "technique"},
		children: map[string]string{"tactic": "tactic", "technique": "technique", "sub_technique": "sub_technique"}},
	"tactic":        {atLeastOne: []string{"name", "uid"}},
	"technique":     {atLeastOne: []string{"name", "uid"}},
	"sub_technique": {atLeastOne: []string{"name", "uid"}},
	"related_event": {required: []string{"uid"}},
	"evidences": {atLeastOne: []string{"actor", "api", "connection_info", "data", "database", "databucket", "device",
		"dst_endpoint", "email", "file", "job", "process", "query", "reg_key", "reg_value", "src_endpoint", "url", "user",
		"win_service"},
		children: map[string]string{"actor": "actor", "api": "api", "src_endpoint": "network_endpoint",
			"dst_endpoint": "network_endpoint", "user": "user"}},
	"vulnerability": {atLeastOne: []string{"cve", "cwe"},
		children: map[string]string{"cve": "cve", "affected_packages": "affected_package"}},
	"cve":              {required: []string{"uid"}, children: map[string]string{"cvss": "cvss"}},
	"cvss":             {required: []string{"base_score", "version"}},
	"affected_package": {required: []string{"name", "version"}},
}

type classSpec struct {
	name       string
	category   int
	activities []int
	required   []string
	atLeastOne [][]string
	attrs      map[string]string // attribute → object type ("" for scalars)
	enums      map[string][]int  // the class's own values for a base enum
}

// base is what every class inherits from the base event (plus the cloud
// profile's cloud and api).
var base = classSpec{
	required: []string{"activity_id", "category_uid", "class_uid", "metadata", "severity_id", "time", "type_uid"},
	attrs: map[string]string{
		"activity_id": "", "activity_name": "", "category_name": "", "category_uid": "", "class_name": "",
		"class_uid": "", "count": "", "duration": "", "end_time": "", "message": "", "metadata": "metadata",
		"raw_data": "", "severity": "", "severity_id": "", "start_time": "", "status": "", "status_code": "",
		"status_detail": "", "status_id": "", "time": "", "timezone_offset": "", "type_name": "", "type_uid": "",
		"unmapped": "", "cloud": "cloud", "api": "api",
	},
}

var classes = map[int]classSpec{
	6003: {name: "API Activity", category: 6, activities: []int{0, 1, 2, 3, 4, 99},
		required: []string{"actor", "api", "src_endpoint"},
		attrs: map[string]string{"actor": "actor", "dst_endpoint": "network_endpoint", "http_request": "http_request",
			"http_response": "", "resources": "resource_details", "src_endpoint": "network_endpoint"}},
	3002: {name: "Authentication", category: 3, activities: []int{0, 1, 2, 3, 4, 5, 6, 99},
		required:   []string{"user"},
		atLeastOne: [][]string{{"dst_endpoint", "service"}},
		attrs: map[string]string{"actor": "actor", "dst_endpoint": "network_endpoint", "http_request": "http_request",
			"is_mfa": "", "is_remote": "", "is_cleartext": "", "is_new_logon": "", "logon_type": "", "logon_type_id": "",
			"service": "service", "session": "session", "src_endpoint": "network_endpoint", "user": "user"}},
	3001: {name: "Account Change", category: 3, activities: []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 99},
		required: []string{"user"},
		attrs: map[string]string{"actor": "actor", "http_request": "http_request", "policy": "policy",
			"src_endpoint": "network_endpoint", "user": "user", "user_result": "user"}},
	4001: {name: "Network Activity", category: 4, activities: []int{0, 1, 2, 3, 4, 5, 6, 7, 99},
		required: []string{"dst_endpoint"},
		attrs: map[string]string{"action": "", "action_id": "", "disposition": "", "disposition_id": "",
			"firewall_rule": "firewall_rule", "connection_info": "network_connection_info",
			"dst_endpoint": "network_endpoint", "src_endpoint": "network_endpoint", "traffic": "network_traffic"}},
	2002: {name: "Vulnerability Finding", category: 2, activities: []int{0, 1, 2, 3, 99},
		required: []string{"finding_info", "vulnerabilities"},
		attrs: map[string]string{"finding_info": "finding_info", "vulnerabilities": "vulnerability",
			"resources": "resource_details"}},
	// Detection Finding: finding_info is the class's only requirement;
	// the cloud profile adds cloud (checked below) and security_control,
	// which vigil does not declare, action_id.
	2004: {name: "Detection Finding", category: 2, activities: []int{0, 1, 2, 3, 99},
		required: []string{"finding_info"},
		attrs: map[string]string{"finding_info": "finding_info", "evidences": "evidences",
			"resources": "resource_details", "confidence": "", "confidence_id": "", "confidence_score": "",
			"comment": "", "impact": "", "impact_id": "", "impact_score": "", "risk_level": "", "risk_level_id": "",
			"risk_score": "", "risk_details": ""},
		enums: map[string][]int{"status_id": {0, 1, 2, 3, 4, 99}}}, // New, In Progress, Suppressed, Resolved
}

var baseEnums = map[string][]int{
	"severity_id":    {0, 1, 2, 3, 4, 5, 6, 99},
	"status_id":      {0, 1, 2, 99},
	"action_id":      {0, 1, 2, 99},
	"disposition_id": {0, 1, 2, 99}, // the subset vigil writes
}

var severityCaptions = map[int]string{0: "Unknown", 1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical", 6: "Fatal"}

// validate checks one decoded OCSF event against the tables above and
// returns every problem found.
func validate(ev map[string]any) []string {
	var errs []string
	fail := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }

	classUID, ok := intOf(ev["class_uid"])
	if !ok {
		return []string{"class_uid missing or not an integer"}
	}
	c, ok := classes[classUID]
	if !ok {
		return []string{fmt.Sprintf("class_uid %d is not one vigil writes", classUID)}
	}
	for _, k := range append(append([]string{}, base.required...), c.required...) {
		if !present(ev[k]) {
			fail("required %s missing or empty", k)
		}
	}
	for _, group := range c.atLeastOne {
		if !anyPresent(ev, group) {
			fail("none of %v present", group)
		}
	}
	profiles := map[string]bool{}
	if md, ok := ev["metadata"].(map[string]any); ok {
		if v, _ := md["version"].(string); v != "1.3.0" {
			fail("metadata.version %q, want 1.3.0", v)
		}
		if ps, ok := md["profiles"].([]any); ok {
			for _, p := range ps {
				s, _ := p.(string)
				profiles[s] = true
			}
		}
	}
	if profiles["cloud"] && !present(ev["cloud"]) {
		fail("cloud profile without cloud")
	}
	if !profiles["cloud"] && (ev["cloud"] != nil || (classUID != 6003 && ev["api"] != nil)) {
		fail("cloud or api written without the cloud profile")
	}
	if profiles["security_control"] && ev["action_id"] == nil {
		fail("security_control profile without action_id")
	}
	if !profiles["security_control"] && (ev["action_id"] != nil || ev["firewall_rule"] != nil) {
		fail("security_control attributes without the profile")
	}

	// Consistency of the classification.
	act, _ := intOf(ev["activity_id"])
	if !contains(c.activities, act) {
		fail("activity_id %d not defined for %s", act, c.name)
	}
	if tu, _ := intOf(ev["type_uid"]); tu != classUID*100+act {
		fail("type_uid %d, want %d", tu, classUID*100+act)
	}
	if cat, _ := intOf(ev["category_uid"]); cat != c.category {
		fail("category_uid %d, want %d", cat, c.category)
	}
	if n, _ := ev["class_name"].(string); n != c.name {
		fail("class_name %q, want %q", n, c.name)
	}
	if tn, _ := ev["type_name"].(string); !strings.HasPrefix(tn, c.name+": ") {
		fail("type_name %q does not start with the class name", tn)
	}
	if sev, _ := intOf(ev["severity_id"]); sev != 99 {
		if s, _ := ev["severity"].(string); s != severityCaptions[sev] {
			fail("severity %q does not match severity_id %d", s, sev)
		}
	}
	if t, ok := intOf(ev["time"]); !ok || t <= 0 {
		fail("time %v is not epoch milliseconds", ev["time"])
	}
	for k, allowed := range baseEnums {
		if own, ok := c.enums[k]; ok {
			allowed = own
		}
		if v, ok := ev[k]; ok {
			if n, isInt := intOf(v); !isInt || !contains(allowed, n) {
				fail("%s %v not in %v", k, v, allowed)
			}
		}
	}

	for k, v := range ev {
		typ, inBase := base.attrs[k]
		if !inBase {
			var inClass bool
			typ, inClass = c.attrs[k]
			if !inClass {
				fail("attribute %s is not defined for %s", k, c.name)
				continue
			}
		}
		if typ != "" {
			validateObject(k, typ, v, fail)
		}
	}
	return errs
}

func validateObject(path, typ string, v any, fail func(string, ...any)) {
	spec, ok := objects[typ]
	if !ok {
		fail("%s: no spec for object type %s", path, typ)
		return
	}
	if arr, ok := v.([]any); ok {
		if len(arr) == 0 {
			fail("%s: empty array", path)
		}
		for i, el := range arr {
			validateObject(path+"["+strconv.Itoa(i)+"]", typ, el, fail)
		}
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		fail("%s: %T, want an object", path, v)
		return
	}
	if len(m) == 0 {
		fail("%s: empty object", path)
	}
	for _, k := range spec.required {
		if !present(m[k]) {
			fail("%s.%s required, missing or empty", path, k)
		}
	}
	if len(spec.atLeastOne) > 0 && !anyPresent(m, spec.atLeastOne) {
		fail("%s: none of %v present", path, spec.atLeastOne)
	}
	for k, allowed := range spec.enums {
		if x, ok := m[k]; ok {
			if n, isInt := intOf(x); !isInt || !contains(allowed, n) {
				fail("%s.%s %v not in %v", path, k, x, allowed)
			}
		}
	}
	for k, child := range spec.children {
		if x, ok := m[k]; ok {
			validateObject(path+"."+k, child, x, fail)
		}
	}
	for k, x := range m {
		if !present(x) {
			fail("%s.%s written empty", path, k)
		}
	}
}

// present reports whether a decoded value is there and not empty. Numbers
// and booleans are present whatever their value (0 is a valid id).
func present(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case map[string]any:
		return len(x) > 0
	case []any:
		return len(x) > 0
	}
	return true
}

func anyPresent(m map[string]any, keys []string) bool {
	for _, k := range keys {
		if present(m[k]) {
			return true
		}
	}
	return false
}

func intOf(v any) (int, bool) {
	f, ok := v.(float64)
	if !ok || f != float64(int64(f)) {
		return 0, false
	}
	return int(f), true
}

func contains(s []int, n int) bool {
	for _, x := range s {
		if x == n {
			return true
		}
	}
	return false
}

// get returns the value at a dotted path; numeric parts index arrays.
func get(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func TestValidatorCatchesProblems(t *testing.T) {
	// The validator itself must reject what the schema rejects.
	ev := map[string]any{
		"class_uid": 6003.0, "category_uid": 6.0, "activity_id": 1.0, "type_uid": 600302.0, "severity_id": 1.0,
		"class_name": "API Activity", "type_name": "API Activity: Create", "severity": "Informational", "time": 1.0,
		"metadata": map[string]any{"version": "1.3.0", "product": map[string]any{"name": "x"}},
		"actor":    map[string]any{"idp": map[string]any{"name": "okta"}},
		"api":      map[string]any{},
		"bogus":    "x",
	}
	errs := strings.Join(validate(ev), "\n")
	for _, want := range []string{"type_uid 600302", "required src_endpoint", "metadata.product.vendor_name",
		"actor: none of", "api: empty object", "attribute bogus"} {
		if !strings.Contains(errs, want) {
			t.Errorf("validator did not report %q; got:\n%s", want, errs)
		}
	}
}
