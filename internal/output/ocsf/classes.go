package ocsf

import (
	"math"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

// apiActivity writes the API Activity (6003) attributes: actor, api and
// src_endpoint (required), http_request and resources.
func (x *encoder) apiActivity() {
	x.actor(true)
	x.apiObj(true)
	x.srcEndpoint(true, endpoint{})
	x.httpRequest()
	x.resources()
}

// authentication writes the Authentication (3002) attributes: the user
// who authenticated (required), is_mfa, the service authenticated to (one
// of service and dst_endpoint is required), the session (assumed role),
// the identity provider, src_endpoint and http_request.
func (x *encoder) authentication() {
	e, j := x.e, &x.j
	a := auth(e)
	if !x.principal("user", a.GroupName) {
		u := j.open("user")
		j.str("name", unknown)
		j.close(u)
	}
	switch {
	case strings.EqualFold(a.MFAAuth, "true"):
		j.bool("is_mfa", true)
		x.use(fMFAAuth)
	case strings.EqualFold(a.MFAAuth, "false"):
		j.bool("is_mfa", false)
		x.use(fMFAAuth)
	}
	s := j.open("service")
	if e.Dest != "" {
		name, uid := splitPrincipal(e.Dest)
		j.str("name", name)
		j.str("uid", uid)
		x.use(fDest)
	} else {
		j.str("name", unknown)
	}
	j.close(s)
	ss := j.open("session")
	if a.AssumedRoleUser != "" {
		j.str("uid_alt", a.AssumedRoleUser)
		x.use(fAssumedRoleUser)
	}
	if a.Role != "" {
		j.str("issuer", a.Role) // the role that issued the session
		x.use(fRole)
	}
	j.close(ss)
	if a.IdentityProvider != "" {
		x.actor(false)
	}
	x.srcEndpoint(false, endpoint{})
	x.httpRequest()
}

// accountChange writes the Account Change (3001) attributes: the user
// changed (required; the event's dest), the policy or role attached or
// detached, the actor, src_endpoint and http_request. When dest is the
// role itself (Entra "Add member to role" names the role as its target),
// the role becomes the policy and the changed user is unknown.
func (x *encoder) accountChange(activity int) {
	e, j := x.e, &x.j
	role := auth(e).Role
	if (activity == 7 || activity == 8) && role != "" {
		p := j.open("policy")
		name, uid := splitPrincipal(role)
		j.str("name", name)
		j.str("uid", uid)
		j.close(p)
		x.use(fRole)
		if e.Dest == role {
			x.use(fDest)
		}
	}
	x.target()
	x.actor(false)
	x.srcEndpoint(false, endpoint{})
	x.httpRequest()
}

var (
	actionNames      = map[int]string{0: "Unknown", 1: "Allowed", 2: "Denied"}
	dispositionNames = map[int]string{0: "Unknown", 1: "Allowed", 2: "Blocked"}
)

// networkActivity writes the Network Activity (4001) attributes: the
// firewall decision (security_control profile), src_endpoint,
// dst_endpoint (required), connection_info, traffic and duration. The VPC
// and interface that logged the flow go on the endpoint on their side:
// the destination of inbound flows, the source of outbound ones.
func (x *encoder) networkActivity(secCtl bool) {
	e, j := x.e, &x.j
	n := network(e)
	if secCtl {
		id := networkAction(e.Action)
		j.int("action_id", int64(id))
		j.str("action", actionNames[id])
		j.int("disposition_id", int64(id))
		j.str("disposition", dispositionNames[id])
		if n.Rule != "" {
			r := j.open("firewall_rule")
			j.str("name", n.Rule)
			j.close(r)
			x.use(fRule)
		}
	}
	dir, dirName := direction(n.Direction)
	src, dst := endpoint{port: n.SrcPort}, endpoint{port: n.DestPort}
	switch dir {
	case 1:
		dst.vpc, dst.ifc = n.VPC, n.Dvc
	case 2:
		src.vpc, src.ifc = n.VPC, n.Dvc
	}
	x.srcEndpoint(false, src)

	d := j.open("dst_endpoint")
	if n.DestIP != "" {
		j.str("ip", n.DestIP)
		x.use(fDestIP)
	}
	if e.Dest != "" {
		if e.Dest != n.DestIP {
			j.str("name", e.Dest)
		}
		x.use(fDest)
	}
	x.endpointDetails(dst, fDestPort)
	if j.b[len(j.b)-1] == '{' {
		j.str("name", unknown)
	}
	j.close(d)

	flags, flagsOK := tcpFlags(n.TCPFlag)
	if n.Direction != "" || n.Transport != "" || flagsOK {
		ci := j.open("connection_info")
		j.int("direction_id", int64(dir))
		j.str("direction", dirName)
		if n.Direction != "" {
			x.use(fDirection)
		}
		if n.Transport != "" {
			name, num := protocol(n.Transport)
			j.str("protocol_name", name)
			if num >= 0 {
				j.int("protocol_num", num)
			}
			x.use(fTransport)
		}
		if flagsOK {
			j.int("tcp_flags", flags)
			x.use(fTCPFlag)
		}
		j.close(ci)
	}
	t := j.open("traffic")
	if n.Bytes != 0 {
		j.int("bytes", n.Bytes)
		x.use(fBytes)
	}
	if n.Packets != 0 {
		j.int("packets", n.Packets)
		x.use(fPackets)
	}
	j.close(t)
	if n.Duration != 0 {
		j.int("duration", n.Duration*1000) // OCSF duration is in milliseconds
		x.use(fDuration)
	}
}

func direction(d string) (int, string) {
	if d == "" {
		return 0, "Unknown"
	}
	for _, r := range directions {
		if strings.EqualFold(d, r.word) {
			return r.id, r.caption
		}
	}
	return 99, d
}

// tcpFlagBits are the TCP header control bits by name.
var tcpFlagBits = map[string]int64{
	"FIN": 0x01, "SYN": 0x02, "RST": 0x04, "PSH": 0x08,
	"ACK": 0x10, "URG": 0x20, "ECE": 0x40, "CWR": 0x80,
}

// tcpFlags reads TCP flags given as a number or as names ("SYN,ACK"); ok
// is false when they are neither.
func tcpFlags(s string) (v int64, ok bool) {
	if s == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, n >= 0
	}
	for s != "" {
		name := s
		if i := strings.IndexAny(s, ",|+ "); i >= 0 {
			name, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		if name == "" {
			continue
		}
		bit, known := tcpFlagBits[name]
		if !known {
			bit, known = tcpFlagBits[strings.ToUpper(name)]
		}
		if !known {
			return 0, false
		}
		v |= bit
	}
	return v, true
}

// protocol returns the IANA protocol name and number of a transport given
// as either; num is -1 when it is neither a known name nor a number.
func protocol(t string) (name string, num int64) {
	if v, err := strconv.ParseInt(t, 10, 64); err == nil {
		for _, p := range protocols {
			if p.num == v {
				return p.name, v
			}
		}
		return "", v
	}
	for _, p := range protocols {
		if strings.EqualFold(t, p.name) {
			return p.name, p.num
		}
	}
	return t, -1
}

// vulnerabilityFinding writes the Vulnerability Finding (2002)
// attributes: finding_info (uid from the occurrence, else a stable hash;
// title from CVE and package), one vulnerability with its CVE, CVSS score
// and affected package, and the affected resources.
func (x *encoder) vulnerabilityFinding() {
	e, j := x.e, &x.j
	v := vuln(e)
	title := unknown
	switch {
	case v.CVE != "" && v.Package != "":
		title = v.CVE + " in " + v.Package
	case v.CVE != "":
		title = v.CVE
	case v.Package != "":
		title = "Vulnerability in " + v.Package
	}

	fi := j.open("finding_info")
	if v.Occurrence != "" {
		j.str("uid", v.Occurrence)
		x.use(fOccurrence)
	} else {
		j.str("uid", findingUID(e))
	}
	j.str("title", title)
	if v.NotificationTime != "" {
		if t, ok := event.ParseTime(v.NotificationTime); ok {
			j.int("created_time", t.UnixMilli())
			x.use(fNotificationTime)
		}
	}
	j.close(fi)

	vs := j.openArr("vulnerabilities")
	ve := j.elem()
	cve := j.open("cve")
	if v.CVE != "" {
		j.str("uid", v.CVE)
		x.use(fCVE)
	} else {
		j.str("uid", unknown)
	}
	if s := v.CVSSScore; s != 0 && !math.IsNaN(s) && !math.IsInf(s, 0) {
		a := j.openArr("cvss")
		c := j.elem()
		j.float("base_score", s)
		// Required by the schema; the data model does not say which
		// CVSS version the score is.
		j.str("version", unknown)
		j.close(c)
		j.closeArr(a)
		x.use(fCVSSScore)
	}
	j.close(cve)
	j.str("severity", v.Severity)
	j.str("title", title)
	if v.Package != "" {
		a := j.openArr("affected_packages")
		p := j.elem()
		j.str("name", v.Package)
		x.use(fPackage)
		if v.InstalledVersion != "" {
			j.str("version", v.InstalledVersion)
			x.use(fInstalledVersion)
		} else {
			j.str("version", unknown)
		}
		if v.FixedVersion != "" {
			j.str("fixed_in_version", v.FixedVersion)
			x.use(fFixedVersion)
		}
		j.close(p)
		j.closeArr(a)
	}
	if v.FixedVersion != "" {
		j.bool("is_fix_available", true)
	}
	j.close(ve)
	j.closeArr(vs)
	x.resources()
}

// findingUID derives a stable finding id from what identifies a finding:
// vendor, account, scanned resource, image digest, CVE, package and
// installed version.
func findingUID(e *event.Event) string {
	v := vuln(e)
	digest := ""
	if e.Container != nil {
		digest = e.Container.ImageDigest
	}
	h := newUIDHash()
	for _, s := range [...]string{e.Vendor, e.Account, v.ResourceURI, digest, v.CVE, v.Package, v.InstalledVersion} {
		h.add(s)
	}
	return h.String()
}

// uidHash builds the stable ids vigil gives findings: FNV-1a (64 bits)
// over the parts that identify the finding, written as "vigil-" and 16
// hex digits.
type uidHash uint64

func newUIDHash() uidHash { return 14695981039346656037 }

// add hashes one part, then a separator, so that ("ab","c") and ("a","bc")
// differ.
func (h *uidHash) add(s string) {
	v := uint64(*h)
	for i := 0; i < len(s); i++ {
		v ^= uint64(s[i])
		v *= 1099511628211
	}
	v ^= 0xff
	v *= 1099511628211
	*h = uidHash(v)
}

func (h uidHash) String() string {
	v := uint64(h)
	var b [6 + 16]byte
	copy(b[:], "vigil-")
	for i := len(b) - 1; i >= 6; i-- {
		b[i] = "0123456789abcdef"[v&0xf]
		v >>= 4
	}
	return string(b[:])
}
