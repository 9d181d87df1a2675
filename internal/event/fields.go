package event

import (
	"strconv"
	"strings"
	"time"
)

// Kind is the type of a field's value.
type Kind uint8

// Field kinds.
const (
	KindString Kind = iota
	KindInt
	KindFloat
	KindTime
	KindList
)

func (k Kind) String() string {
	return [...]string{"string", "integer", "number", "time", "list"}[k]
}

// Field describes one field of the data model and how to read and write it
// on an Event without reflection.
type Field struct {
	Name  string  // snake_case name, as in JSON output and rules
	Group Dataset // the dataset whose group holds it; "" for common fields
	Kind  Kind
	Doc   string
	// Repeats marks fields whose values repeat across events (names,
	// regions, accounts, principals, user agents): sources may intern them.
	Repeats bool

	str    func(*Event) string
	num    func(*Event) (float64, bool)
	setStr func(*Event, string)
	setNum func(*Event, float64)
}

// String returns the field's value as text ("" when unset).
func (f *Field) String(e *Event) string {
	switch f.Kind {
	case KindInt:
		if n, ok := f.num(e); ok {
			return strconv.FormatInt(int64(n), 10)
		}
		return ""
	case KindFloat:
		if n, ok := f.num(e); ok {
			return strconv.FormatFloat(n, 'f', -1, 64)
		}
		return ""
	}
	return f.str(e)
}

// Number returns a numeric field's value; ok is false when unset or not numeric.
func (f *Field) Number(e *Event) (float64, bool) {
	if f.num == nil {
		return 0, false
	}
	return f.num(e)
}

// Set stores s, converting it for numeric and time fields. It reports
// whether s was a valid value for the field; empty s is ignored.
func (f *Field) Set(e *Event, s string) bool {
	if s == "" {
		return true
	}
	switch f.Kind {
	case KindInt:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			fl, ferr := strconv.ParseFloat(s, 64)
			if ferr != nil {
				return false
			}
			n = int64(fl)
		}
		f.setNum(e, float64(n))
		return true
	case KindFloat:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return false
		}
		f.setNum(e, n)
		return true
	case KindTime:
		t, ok := ParseTime(s)
		if ok {
			e.Time = t
		}
		return ok
	}
	f.setStr(e, s)
	return true
}

// SetNumber stores a number; for string fields it is formatted.
func (f *Field) SetNumber(e *Event, n float64) {
	switch f.Kind {
	case KindInt, KindFloat:
		f.setNum(e, n)
	case KindTime:
		e.Time = UnixTime(n)
	default:
		f.setStr(e, strconv.FormatFloat(n, 'f', -1, 64))
	}
}

// IsSet reports whether the field has a value on e.
func (f *Field) IsSet(e *Event) bool {
	switch f.Kind {
	case KindInt, KindFloat:
		_, ok := f.num(e)
		return ok
	case KindTime:
		return !e.Time.IsZero()
	case KindList:
		return len(e.Tags) > 0
	}
	return f.str(e) != ""
}

// UnixTime converts seconds (or milliseconds/microseconds/nanoseconds, told
// apart by magnitude) since the epoch to UTC time.
func UnixTime(n float64) time.Time {
	switch {
	case n > 1e17:
		return time.Unix(0, int64(n)).UTC()
	case n > 1e14:
		return time.UnixMicro(int64(n)).UTC()
	case n > 1e11:
		return time.UnixMilli(int64(n)).UTC()
	}
	sec := int64(n)
	return time.Unix(sec, int64((n-float64(sec))*1e9)).UTC()
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999 MST",
	"2006-01-02 15:04:05.999999999 MST",
	"1/2/2006 3:04:05 PM",  // AD FS, Windows event logs
	"1/2/2006, 3:04:05 PM", // Log Analytics exports
	"1/2/2006 3:04:05 pm",
	"1/2/2006 3:04:05 PM Z07:00",
}

// ParseTime parses the timestamp forms found in cloud logs: RFC 3339 with
// or without zone, space-separated, and Unix epoch numbers. Zone-less times
// are taken as UTC. The result is always UTC.
func ParseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if c := s[0]; c >= '0' && c <= '9' && len(s) >= 9 && !containsAny(s, "-:/") {
		if t, ok := epochDecimal(s); ok {
			return t, true
		}
		if n, err := strconv.ParseFloat(s, 64); err == nil {
			return UnixTime(n), true
		}
	}
	if t, ok := parseISO(s); ok {
		return t, true
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// epochDecimal parses epoch seconds with an optional decimal fraction
// exactly, as AWS APIs write timestamps (1697286400.456; through a float64
// the milliseconds would come out as .456000089), and integer epoch
// milliseconds, microseconds or nanoseconds, told apart by magnitude.
func epochDecimal(s string) (time.Time, bool) {
	sec, frac, dot := strings.Cut(s, ".")
	if len(sec) > 19 || len(frac) > 9 || (dot && (len(frac) == 0 || len(sec) > 11)) {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, false
	}
	if !dot {
		switch {
		case n > 1e17:
			return time.Unix(0, n).UTC(), true
		case n > 1e14:
			return time.UnixMicro(n).UTC(), true
		case n > 1e11:
			return time.UnixMilli(n).UTC(), true
		}
		return time.Unix(n, 0).UTC(), true
	}
	var ns int64
	for i := 0; i < 9; i++ {
		ns *= 10
		if i < len(frac) {
			c := frac[i]
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
			ns += int64(c - '0')
		}
	}
	return time.Unix(n, ns).UTC(), true
}

// parseISO parses the common shape YYYY-MM-DD[T ]hh:mm:ss[.fraction]
// [Z|±hh:mm] without allocating; anything else is left to time.Parse.
func parseISO(s string) (time.Time, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	num := func(s string) (int, bool) {
		n := 0
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(s[0:4])
	month, ok2 := num(s[5:7])
	day, ok3 := num(s[8:10])
	hour, ok4 := num(s[11:13])
	minute, ok5 := num(s[14:16])
	sec, ok6 := num(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	rest := s[19:]
	nsec := 0
	if len(rest) > 0 && rest[0] == '.' {
		i, scale := 1, 100000000
		for ; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
			nsec += int(rest[i]-'0') * scale
			scale /= 10
		}
		if i == 1 {
			return time.Time{}, false
		}
		rest = rest[i:]
	}
	offset := 0
	switch {
	case rest == "" || rest == "Z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		h, ok1 := num(rest[1:3])
		m, ok2 := num(rest[4:6])
		if !ok1 || !ok2 || h > 23 || m > 59 {
			return time.Time{}, false
		}
		offset = (h*60 + m) * 60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day { // e.g. February 30th
		return time.Time{}, false
	}
	return t.Add(-time.Duration(offset) * time.Second), true
}

func containsAny(s, chars string) bool {
	for i := 0; i < len(s); i++ {
		for j := 0; j < len(chars); j++ {
			if s[i] == chars[j] {
				return true
			}
		}
	}
	return false
}

// Fields is the data model, in documentation order.
var Fields []*Field

var byName map[string]*Field

// Lookup returns the field with the given snake_case name, or nil.
func Lookup(name string) *Field { return byName[name] }

func common(name, doc string, p func(*Event) *string) *Field {
	return &Field{Name: name, Kind: KindString, Doc: doc,
		str:    func(e *Event) string { return *p(e) },
		setStr: func(e *Event, s string) { *p(e) = s },
	}
}

// group builds a string field of a dataset group: get returns the group
// (nil when absent), alloc allocates it.
func groupStr[G any](ds Dataset, name, doc string, get func(*Event) *G, alloc func(*Event) *G, p func(*G) *string) *Field {
	return &Field{Name: name, Group: ds, Kind: KindString, Doc: doc,
		str: func(e *Event) string {
			if g := get(e); g != nil {
				return *p(g)
			}
			return ""
		},
		setStr: func(e *Event, s string) { *p(alloc(e)) = s },
	}
}

// groupInt builds an integer field; zero counts as unset except where the
// group exists and the field is a port or counter that the source set.
func groupInt[G any](ds Dataset, name, doc string, get func(*Event) *G, alloc func(*Event) *G, p func(*G) *int64) *Field {
	return &Field{Name: name, Group: ds, Kind: KindInt, Doc: doc,
		num: func(e *Event) (float64, bool) {
			if g := get(e); g != nil {
				v := *p(g)
				return float64(v), v != 0
			}
			return 0, false
		},
		setNum: func(e *Event, n float64) { *p(alloc(e)) = int64(n) },
	}
}

func init() {
	gC := func(e *Event) *ComputeFields { return e.Compute }
	gS := func(e *Event) *StorageFields { return e.Storage }
	gN := func(e *Event) *NetworkFields { return e.Network }
	gA := func(e *Event) *AuthFields { return e.Auth }
	gK := func(e *Event) *ContainerFields { return e.Container }
	gV := func(e *Event) *VulnFields { return e.Vuln }
	gP := func(e *Event) *ProcessFields { return e.Proc }
	gF := func(e *Event) *FileFields { return e.File }
	C, S, N, A, K, V, P, F := (*Event).C, (*Event).S, (*Event).N, (*Event).A, (*Event).K, (*Event).V, (*Event).P, (*Event).F

	Fields = []*Field{
		{Name: "time", Kind: KindTime, Doc: "When the event happened, UTC, RFC 3339.",
			str: func(e *Event) string {
				if e.Time.IsZero() {
					return ""
				}
				return e.Time.UTC().Format(time.RFC3339Nano)
			}},
		common("vendor", "aws, azure, gcp, kubernetes or linux (runtime sensor).", func(e *Event) *string { return &e.Vendor }),
		common("vendor_product", "The product that logged the event, e.g. AWS CloudTrail.", func(e *Event) *string { return &e.VendorProduct }),
		{Name: "dataset", Kind: KindString, Doc: "The data model dataset.",
			str:    func(e *Event) string { return string(e.Dataset) },
			setStr: func(e *Event, s string) { e.Dataset = Dataset(s) }},
		{Name: "tags", Kind: KindList, Doc: "Labels such as the log category (activity, data_access, sign-in) or audit stage.",
			str: func(e *Event) string {
				s := ""
				for i, t := range e.Tags {
					if i > 0 {
						s += ","
					}
					s += t
				}
				return s
			},
			setStr: func(e *Event, s string) { e.AddTag(s) }},
		common("event_name", "The vendor's name for the operation.", func(e *Event) *string { return &e.EventName }),
		common("action", "What was done, from a small vocabulary per dataset (get, list, create, modify, delete, start, stop, run, terminate, login, assume, push, pull, exec, allowed, blocked, found, ...).", func(e *Event) *string { return &e.Action }),
		common("status", "success or failure.", func(e *Event) *string { return &e.Status }),
		common("msg", "The vendor's error or result message.", func(e *Event) *string { return &e.Msg }),
		common("src", "Where the request came from: host, IP or service.", func(e *Event) *string { return &e.Src }),
		common("src_ip", "Source IP address.", func(e *Event) *string { return &e.SrcIP }),
		common("src_user", "The principal that acted.", func(e *Event) *string { return &e.SrcUser }),
		common("src_user_name", "The acting principal's short name, as Elastic's user.name: the IAM user name or an assumed role's session name (AWS), the principal email (GCP), the UPN or caller (Azure), the username (Kubernetes); src_user keeps the ARN or full id.", func(e *Event) *string { return &e.SrcUserName }),
		common("src_user_id", "The acting principal's unique id (AWS principalId, the Entra object id).", func(e *Event) *string { return &e.SrcUserID }),
		common("user_type", "Kind of principal: IAMUser, AssumedRole, Root, AWSService, ServiceAccount, User, ServicePrincipal, ManagedIdentity, ...", func(e *Event) *string { return &e.UserType }),
		common("account", "Account, subscription or project.", func(e *Event) *string { return &e.Account }),
		common("region", "Cloud region or location.", func(e *Event) *string { return &e.Region }),
		common("http_user_agent", "The client's user agent.", func(e *Event) *string { return &e.UserAgent }),
		common("dest", "The resource acted on.", func(e *Event) *string { return &e.Dest }),
		common("event_id", "The vendor's unique id of the record.", func(e *Event) *string { return &e.EventID }),
		common("credential_id", "Access key id, token id or service-account key id used.", func(e *Event) *string { return &e.CredentialID }),
		common("service", "The cloud service the request went to: eventSource (AWS), serviceName (GCP), the resource provider (Azure).", func(e *Event) *string { return &e.Service }),
		common("src_country", "ISO 3166 country of src_ip, from the GeoIP database given with --geoip (enrichment).", func(e *Event) *string { return &e.SrcCountry }),
		common("src_asn", "Autonomous system number of src_ip, from the GeoIP database given with --geoip (enrichment).", func(e *Event) *string { return &e.SrcASN }),

		groupStr(Compute, "instance_id", "Instance or VM id.", gC, C, func(g *ComputeFields) *string { return &g.InstanceID }),
		groupStr(Compute, "image_id", "Machine image id.", gC, C, func(g *ComputeFields) *string { return &g.ImageID }),
		groupStr(Compute, "instance_type", "Instance type or machine size.", gC, C, func(g *ComputeFields) *string { return &g.InstanceType }),

		groupStr(Storage, "bucket_name", "Bucket, container or storage account.", gS, S, func(g *StorageFields) *string { return &g.BucketName }),
		groupStr(Storage, "object_path", "Object key or blob path.", gS, S, func(g *StorageFields) *string { return &g.ObjectPath }),
		groupStr(Storage, "acl_permission", "Permission granted by an ACL or policy change.", gS, S, func(g *StorageFields) *string { return &g.ACLPermission }),
		groupStr(Storage, "acl_entity", "Grantee of an ACL or policy change.", gS, S, func(g *StorageFields) *string { return &g.ACLEntity }),

		groupInt(NetworkTraffic, "src_port", "Source port.", gN, N, func(g *NetworkFields) *int64 { return &g.SrcPort }),
		groupStr(NetworkTraffic, "dest_ip", "Destination IP address.", gN, N, func(g *NetworkFields) *string { return &g.DestIP }),
		groupInt(NetworkTraffic, "dest_port", "Destination port.", gN, N, func(g *NetworkFields) *int64 { return &g.DestPort }),
		groupStr(NetworkTraffic, "transport", "tcp, udp, icmp, or the IANA protocol number.", gN, N, func(g *NetworkFields) *string { return &g.Transport }),
		groupStr(NetworkTraffic, "direction", "inbound or outbound.", gN, N, func(g *NetworkFields) *string { return &g.Direction }),
		groupInt(NetworkTraffic, "bytes", "Bytes transferred.", gN, N, func(g *NetworkFields) *int64 { return &g.Bytes }),
		groupInt(NetworkTraffic, "packets", "Packets transferred.", gN, N, func(g *NetworkFields) *int64 { return &g.Packets }),
		groupInt(NetworkTraffic, "duration", "Flow duration in seconds.", gN, N, func(g *NetworkFields) *int64 { return &g.Duration }),
		groupStr(NetworkTraffic, "tcp_flag", "TCP flags seen on the flow.", gN, N, func(g *NetworkFields) *string { return &g.TCPFlag }),
		groupStr(NetworkTraffic, "vpc", "VPC or virtual network.", gN, N, func(g *NetworkFields) *string { return &g.VPC }),
		groupStr(NetworkTraffic, "rule", "Firewall or security rule that decided.", gN, N, func(g *NetworkFields) *string { return &g.Rule }),
		groupStr(NetworkTraffic, "dvc", "The interface or device that logged the flow.", gN, N, func(g *NetworkFields) *string { return &g.Dvc }),

		groupStr(Authentication, "assumed_role_user", "The session or user a role was assumed as.", gA, A, func(g *AuthFields) *string { return &g.AssumedRoleUser }),
		groupStr(Authentication, "role", "The role assumed or used.", gA, A, func(g *AuthFields) *string { return &g.Role }),
		groupStr(Authentication, "group_name", "Identity group involved.", gA, A, func(g *AuthFields) *string { return &g.GroupName }),
		groupStr(Authentication, "mfa_auth", "true when multi-factor authentication was used, false when not.", gA, A, func(g *AuthFields) *string { return &g.MFAAuth }),
		groupStr(Authentication, "identity_provider", "Identity provider that authenticated the principal.", gA, A, func(g *AuthFields) *string { return &g.IdentityProvider }),

		groupStr(Container, "registry", "Container registry host.", gK, K, func(g *ContainerFields) *string { return &g.Registry }),
		groupStr(Container, "repository", "Image repository.", gK, K, func(g *ContainerFields) *string { return &g.Repository }),
		groupStr(Container, "image", "Image reference (repository[:tag] or @digest).", gK, K, func(g *ContainerFields) *string { return &g.Image }),
		groupStr(Container, "image_digest", "Image manifest digest (sha256:...).", gK, K, func(g *ContainerFields) *string { return &g.ImageDigest }),
		groupStr(Container, "cluster", "Kubernetes cluster.", gK, K, func(g *ContainerFields) *string { return &g.Cluster }),
		groupStr(Container, "namespace", "Kubernetes namespace.", gK, K, func(g *ContainerFields) *string { return &g.Namespace }),
		groupStr(Container, "workload", "Kubernetes object acted on, as resource/name (e.g. pods/web-1).", gK, K, func(g *ContainerFields) *string { return &g.Workload }),
		groupStr(Container, "container_name", "Container name (within a pod, for Kubernetes).", gK, K, func(g *ContainerFields) *string { return &g.ContainerName }),
		groupStr(Container, "container_id", "Container id (runtime sensor); unset for host processes.", gK, K, func(g *ContainerFields) *string { return &g.ContainerID }),
		groupStr(Container, "container_runtime", "docker, containerd, cri-o, podman, cri or runc (runtime sensor).", gK, K, func(g *ContainerFields) *string { return &g.Runtime }),
		groupStr(Container, "container_image", "The image a runtime sensor event's container runs, as its runtime knows it (also in image).", gK, K, func(g *ContainerFields) *string { return &g.ContainerImage }),
		groupStr(Container, "container_image_digest", "The manifest digest (sha256:…) of that image, when the runtime knows it (also in image_digest).", gK, K, func(g *ContainerFields) *string { return &g.ContainerImageDigest }),
		groupStr(Container, "k8s_namespace", "Kubernetes namespace of the pod a runtime sensor event's container belongs to (also in namespace).", gK, K, func(g *ContainerFields) *string { return &g.K8sNamespace }),
		groupStr(Container, "k8s_pod_name", "Name of that pod (workload is pods/<name>).", gK, K, func(g *ContainerFields) *string { return &g.K8sPodName }),
		groupStr(Container, "k8s_pod_uid", "UID of that pod.", gK, K, func(g *ContainerFields) *string { return &g.K8sPodUID }),
		groupStr(Container, "k8s_container_name", "The container's name in that pod (also in container_name).", gK, K, func(g *ContainerFields) *string { return &g.K8sContainerName }),

		groupStr(Vulnerability, "cve", "CVE or advisory id.", gV, V, func(g *VulnFields) *string { return &g.CVE }),
		groupStr(Vulnerability, "severity", "critical, high, medium, low, informational or unknown.", gV, V, func(g *VulnFields) *string { return &g.Severity }),
		{Name: "cvss_score", Group: Vulnerability, Kind: KindFloat, Doc: "CVSS base score.",
			num: func(e *Event) (float64, bool) {
				if e.Vuln != nil && e.Vuln.CVSSScore != 0 {
					return e.Vuln.CVSSScore, true
				}
				return 0, false
			},
			setNum: func(e *Event, n float64) { e.V().CVSSScore = n }},
		groupStr(Vulnerability, "package", "Affected package.", gV, V, func(g *VulnFields) *string { return &g.Package }),
		groupStr(Vulnerability, "installed_version", "Installed package version.", gV, V, func(g *VulnFields) *string { return &g.InstalledVersion }),
		groupStr(Vulnerability, "fixed_version", "First version with the fix.", gV, V, func(g *VulnFields) *string { return &g.FixedVersion }),
		groupStr(Vulnerability, "resource_uri", "The scanned image or host.", gV, V, func(g *VulnFields) *string { return &g.ResourceURI }),
		groupStr(Vulnerability, "occurrence", "The finding's own id or name (e.g. a Grafeas occurrence name).", gV, V, func(g *VulnFields) *string { return &g.Occurrence }),
		groupStr(Vulnerability, "notification_time", "When the scanner reported the finding, RFC 3339.", gV, V, func(g *VulnFields) *string { return &g.NotificationTime }),

		groupInt(Process, "process_id", "Process id (in the host's pid namespace).", gP, P, func(g *ProcessFields) *int64 { return &g.PID }),
		groupStr(Process, "process", "Command line, arguments separated by spaces.", gP, P, func(g *ProcessFields) *string { return &g.CommandLine }),
		groupStr(Process, "process_path", "The program as executed, an absolute path (/bin/sh even where sh is a link to busybox).", gP, P, func(g *ProcessFields) *string { return &g.Path }),
		groupStr(Process, "process_name", "Base name of process_path.", gP, P, func(g *ProcessFields) *string { return &g.Name }),
		groupStr(Process, "process_exe", "The executable file run, links resolved; /memfd:name (deleted) for a memfd.", gP, P, func(g *ProcessFields) *string { return &g.Exe }),
		groupStr(Process, "process_current_directory", "Working directory.", gP, P, func(g *ProcessFields) *string { return &g.CurrentDirectory }),
		groupStr(Process, "process_user_id", "User id.", gP, P, func(g *ProcessFields) *string { return &g.UserID }),
		groupStr(Process, "process_group_id", "Group id.", gP, P, func(g *ProcessFields) *string { return &g.GroupID }),
		groupStr(Process, "process_login_id", "Audit login user id, when the session has one.", gP, P, func(g *ProcessFields) *string { return &g.LoginID }),
		groupInt(Process, "parent_process_id", "Parent's process id.", gP, P, func(g *ProcessFields) *int64 { return &g.ParentPID }),
		groupStr(Process, "parent_process", "Parent's command line.", gP, P, func(g *ProcessFields) *string { return &g.ParentCommand }),
		groupStr(Process, "parent_process_path", "Parent's program.", gP, P, func(g *ProcessFields) *string { return &g.ParentPath }),
		groupStr(Process, "parent_process_name", "Base name of parent_process_path.", gP, P, func(g *ProcessFields) *string { return &g.ParentName }),
		groupStr(Process, "process_ancestors", "Programs of the ancestors beyond the parent, nearest first, separated by spaces.", gP, P, func(g *ProcessFields) *string { return &g.Ancestors }),
		groupStr(Process, "process_stdin", "What standard input is: socket, tty, pipe, file, null or none.", gP, P, func(g *ProcessFields) *string { return &g.Stdin }),
		groupStr(Process, "process_stdout", "What standard output is: socket, tty, pipe, file, null or none.", gP, P, func(g *ProcessFields) *string { return &g.Stdout }),
		groupStr(Process, "process_exe_drift", "true when the executable was created or changed after its container started.", gP, P, func(g *ProcessFields) *string { return &g.ExeDrift }),
		groupStr(Process, "process_host_namespaces", "For a container's process, which of its namespaces are the host's, of mnt, pid and net (comma-separated): net alone is a container on the host network; mnt or pid means the process left its container's view (nsenter, setns into the host's namespaces) while staying in its cgroup.", gP, P, func(g *ProcessFields) *string { return &g.HostNamespaces }),
		groupStr(Process, "process_exe_fileless", "true when the executable is a memfd or a deleted file.", gP, P, func(g *ProcessFields) *string { return &g.ExeFileless }),
		groupStr(Process, "syscall_args", "Arguments of operations without fields of their own (ptrace request and target, new user ids, mount type and flags, namespaces, BPF command).", gP, P, func(g *ProcessFields) *string { return &g.SyscallArgs }),

		groupStr(File, "file_path", "The file acted on (a rename's new path; a mount's target).", gF, F, func(g *FileFields) *string { return &g.Path }),
		groupStr(File, "file_name", "Base name of file_path.", gF, F, func(g *FileFields) *string { return &g.Name }),
		groupStr(File, "file_source_path", "A rename's old path; a mount's source.", gF, F, func(g *FileFields) *string { return &g.SourcePath }),
		groupStr(File, "file_mode", "Permissions set, in octal (chmod, create).", gF, F, func(g *FileFields) *string { return &g.Mode }),
	}
	byName = make(map[string]*Field, len(Fields))
	repeats := map[string]bool{"vendor_product": true, "tags": true, "event_name": true, "action": true, "status": true,
		"src": true, "src_ip": true, "src_user": true, "src_user_name": true, "src_user_id": true, "user_type": true, "service": true, "account": true, "region": true,
		"http_user_agent": true, "credential_id": true, "role": true, "identity_provider": true, "registry": true,
		"repository": true, "cluster": true, "namespace": true, "bucket_name": true, "instance_type": true, "image_id": true,
		"transport": true, "direction": true, "vpc": true, "dvc": true, "rule": true, "severity": true, "package": true,
		"process_path": true, "process_name": true, "process_exe": true, "parent_process_path": true, "parent_process_name": true,
		"container_id": true, "container_name": true, "container_runtime": true, "image": true}
	for _, f := range Fields {
		f.Repeats = repeats[f.Name]
		if f.Kind == KindTime {
			f.setStr = func(e *Event, s string) {
				if t, ok := ParseTime(s); ok {
					e.Time = t
				}
			}
		}
		byName[f.Name] = f
	}
}
