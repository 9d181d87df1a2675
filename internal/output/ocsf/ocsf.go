package ocsf

import (
	"bufio"
	"io"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// Writer writes OCSF events, one JSON object per line.
type Writer struct {
	w   *bufio.Writer
	enc encoder
}

// New returns an OCSF writer.
func New(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 64<<10), enc: encoder{now: time.Now}}
}

// Write writes one event.
func (o *Writer) Write(e *event.Event) error {
	b := o.enc.encode(e)
	b = append(b, '\n')
	o.enc.j.b = b
	_, err := o.w.Write(b)
	return err
}

// Close flushes.
func (o *Writer) Close() error { return o.w.Flush() }

// Positions in event.Fields of the fields the class mappings write.
var (
	fTime             = field("time")
	fVendor           = field("vendor")
	fVendorProduct    = field("vendor_product")
	fTags             = field("tags")
	fEventName        = field("event_name")
	fAction           = field("action")
	fStatus           = field("status")
	fMsg              = field("msg")
	fSrc              = field("src")
	fSrcPort          = field("src_port")
	fSrcIP            = field("src_ip")
	fSrcUser          = field("src_user")
	fUserType         = field("user_type")
	fAccount          = field("account")
	fRegion           = field("region")
	fHTTPUserAgent    = field("http_user_agent")
	fDest             = field("dest")
	fEventID          = field("event_id")
	fCredentialID     = field("credential_id")
	fInstanceID       = field("instance_id")
	fImageID          = field("image_id")
	fBucketName       = field("bucket_name")
	fObjectPath       = field("object_path")
	fDestPort         = field("dest_port")
	fDestIP           = field("dest_ip")
	fTransport        = field("transport")
	fDirection        = field("direction")
	fBytes            = field("bytes")
	fPackets          = field("packets")
	fDuration         = field("duration")
	fTCPFlag          = field("tcp_flag")
	fVPC              = field("vpc")
	fRule             = field("rule")
	fDvc              = field("dvc")
	fAssumedRoleUser  = field("assumed_role_user")
	fRole             = field("role")
	fGroupName        = field("group_name")
	fMFAAuth          = field("mfa_auth")
	fIdentityProvider = field("identity_provider")
	fRegistry         = field("registry")
	fRepository       = field("repository")
	fImage            = field("image")
	fImageDigest      = field("image_digest")
	fCluster          = field("cluster")
	fNamespace        = field("namespace")
	fWorkload         = field("workload")
	fContainerName    = field("container_name")
	fCVE              = field("cve")
	fSeverity         = field("severity")
	fCVSSScore        = field("cvss_score")
	fPackage          = field("package")
	fInstalledVersion = field("installed_version")
	fFixedVersion     = field("fixed_version")
	fResourceURI      = field("resource_uri")
	fOccurrence       = field("occurrence")
	fNotificationTime = field("notification_time")
)

// field returns a data model field's position in event.Fields.
func field(name string) int {
	for i, f := range event.Fields {
		if f.Name == name {
			return i
		}
	}
	panic("ocsf: no data model field " + name)
}

// encoder turns one event into OCSF JSON. It records which data model
// fields the class mapping used; every other field that is set goes to
// "unmapped", so nothing the event carries is lost.
type encoder struct {
	j    jw
	e    *event.Event
	used []bool
	now  func() time.Time

	cloud bool // the cloud profile applies: cloud{provider} is written
	api   bool // event_name is written as api.operation

	// dedup drops array elements equal to one written before in the same
	// array (findings merge the resources of several events); seen holds
	// the written elements' byte ranges.
	dedup bool
	seen  [][2]int
}

// reset starts on event e: no data model field is written yet.
func (x *encoder) reset(e *event.Event) {
	x.e = e
	if cap(x.used) < len(event.Fields) {
		x.used = make([]bool, len(event.Fields))
	}
	x.used = x.used[:len(event.Fields)]
	clear(x.used)
}

// use marks data model fields as written.
func (x *encoder) use(fields ...int) {
	for _, i := range fields {
		x.used[i] = true
	}
}

func (x *encoder) isUsed(field int) bool { return x.used[field] }

// Zero groups stand in for absent dataset groups, so class code can read
// fields without nil checks. They are never written to.
var (
	noNetwork   event.NetworkFields
	noVuln      event.VulnFields
	noAuth      event.AuthFields
	noStorage   event.StorageFields
	noCompute   event.ComputeFields
	noContainer event.ContainerFields
)

func (x *encoder) encode(e *event.Event) []byte {
	x.reset(e)
	j := &x.j
	j.b = append(j.b[:0], '{')

	c, act, actName := classify(e)
	if c != classAccount {
		x.use(fAction) // activity_id, or activity_name for Other
	}
	vendorName, provider, awsAccount := vendorInfo(e.Vendor)
	x.cloud = provider != ""
	// The cloud profile adds api to every class; outside API Activity it is
	// written only where the event name is an API operation (sign-ins, IAM
	// calls), not for flow records or findings, whose event name goes to
	// metadata.event_code.
	x.api = c == classAPI || (x.cloud && e.EventName != "" && (c == classAuth || c == classAccount))
	secCtl := c == classNetwork && (networkAction(e.Action) != 0 || network(e).Rule != "")

	// Classification.
	j.int("class_uid", int64(c.uid))
	j.str("class_name", c.name)
	j.int("category_uid", int64(c.category))
	j.str("category_name", categoryNames[c.category])
	j.int("activity_id", int64(act))
	j.str("activity_name", actName)
	j.int("type_uid", int64(c.uid*100+act))
	j.key("type_name")
	j.b = append(j.b, '"')
	j.b = append(j.b, c.name...)
	j.b = append(j.b, ':', ' ')
	j.b = append(j.b, c.activities[act]...)
	j.b = append(j.b, '"')

	sev := 1 // activity events are informational
	sevName := severityNames[1]
	if c == classVuln {
		sev, sevName = severityOf(vuln(e).Severity)
		x.use(fSeverity)
	}
	j.int("severity_id", int64(sev))
	j.str("severity", sevName)
	if c != classVuln && e.Status != "" {
		id, name := statusOf(e.Status)
		j.int("status_id", int64(id))
		j.str("status", name)
		x.use(fStatus)
	}
	if e.Msg != "" {
		if c != classVuln && strings.EqualFold(e.Status, event.StatusFailure) {
			j.str("status_detail", e.Msg)
		} else {
			j.str("message", e.Msg)
		}
		x.use(fMsg)
	}

	t := e.Time
	if t.IsZero() {
		// The source gave no time; time is required, so use when vigil
		// processed the event.
		t = x.now()
	} else {
		x.use(fTime)
	}
	j.int("time", t.UnixMilli())

	x.metadata(vendorName, !e.Time.IsZero(), secCtl)
	if x.cloud {
		x.cloudObj(provider, awsAccount)
	}

	switch c {
	case classAPI:
		x.apiActivity()
	case classAuth:
		x.authentication()
	case classAccount:
		x.accountChange(act)
	case classNetwork:
		x.networkActivity(secCtl)
	case classVuln:
		x.vulnerabilityFinding()
	}
	if x.api && c != classAPI {
		x.apiObj(false)
	}

	x.unmapped()
	if len(e.Raw) > 0 {
		j.str("raw_data", string(e.Raw))
	}
	j.b = append(j.b, '}')
	return j.b
}

// classify picks the OCSF class and activity for an event.
func classify(e *event.Event) (*class, int, string) {
	switch e.Dataset {
	case event.Vulnerability:
		id, name := activity(classVuln, vulnActivities, e.Action)
		return classVuln, id, name
	case event.NetworkTraffic:
		id, name := activity(classNetwork, networkActivities, e.Action)
		return classNetwork, id, name
	}
	if id, ok := accountChange(e.EventName); ok {
		name := classAccount.activities[id]
		if id == 99 {
			name = e.EventName
		}
		return classAccount, id, name
	}
	if e.Dataset == event.Authentication {
		id, name := activity(classAuth, authActivities, e.Action)
		return classAuth, id, name
	}
	id, name := activity(classAPI, apiActivities, e.Action)
	return classAPI, id, name
}

// activity looks an action up in a class's activity table.
func activity(c *class, table map[string]int, action string) (int, string) {
	if action == "" {
		return 0, c.activities[0]
	}
	id, ok := table[action]
	if !ok {
		id, ok = lookupFold(table, action)
	}
	if ok {
		return id, c.activities[id]
	}
	return 99, action
}

func accountChange(name string) (int, bool) {
	if name == "" {
		return 0, false
	}
	if id, ok := accountChangeByName[name]; ok {
		return id, true
	}
	return lookupFold(accountChangeFolded, name)
}

func statusOf(s string) (int, string) {
	switch {
	case strings.EqualFold(s, event.StatusSuccess):
		return 1, "Success"
	case strings.EqualFold(s, event.StatusFailure):
		return 2, "Failure"
	}
	return 99, s
}

func severityOf(s string) (int, string) {
	if s == "" {
		return 0, severityNames[0]
	}
	for _, r := range severities {
		if strings.EqualFold(s, r.word) {
			return r.id, severityNames[r.id]
		}
	}
	return 99, s
}

// networkAction maps allowed and blocked to action_id (1 Allowed,
// 2 Denied); disposition_id uses the same numbers (1 Allowed, 2 Blocked).
func networkAction(a string) int {
	switch {
	case strings.EqualFold(a, "allowed"), strings.EqualFold(a, "allow"), strings.EqualFold(a, "accept"):
		return 1
	case strings.EqualFold(a, "blocked"), strings.EqualFold(a, "block"), strings.EqualFold(a, "deny"),
		strings.EqualFold(a, "denied"), strings.EqualFold(a, "reject"), strings.EqualFold(a, "drop"):
		return 2
	}
	return 0
}

func vendorInfo(v string) (name, provider string, awsAccount bool) {
	if i, ok := vendors[v]; ok {
		return i.name, i.provider, i.awsAccount
	}
	if v == "" {
		return unknown, "", false
	}
	return v, v, false
}

func network(e *event.Event) *event.NetworkFields {
	if e.Network != nil {
		return e.Network
	}
	return &noNetwork
}

func vuln(e *event.Event) *event.VulnFields {
	if e.Vuln != nil {
		return e.Vuln
	}
	return &noVuln
}

func auth(e *event.Event) *event.AuthFields {
	if e.Auth != nil {
		return e.Auth
	}
	return &noAuth
}

// metadata writes the metadata object.
func (x *encoder) metadata(vendorName string, haveTime, secCtl bool) {
	e, j := x.e, &x.j
	m := j.open("metadata")
	j.str("version", schemaVersion)
	p := j.open("product")
	if e.VendorProduct != "" {
		j.str("name", e.VendorProduct)
		x.use(fVendorProduct)
	} else {
		j.str("name", unknown)
	}
	j.str("vendor_name", vendorName)
	if e.Vendor != "" {
		x.use(fVendor)
	}
	j.close(p)
	if e.EventID != "" {
		j.str("uid", e.EventID)
		x.use(fEventID)
	}
	if !x.api && e.EventName != "" {
		j.str("event_code", e.EventName)
		x.use(fEventName)
	}
	if len(e.Tags) > 0 {
		a := j.openArr("labels")
		for _, t := range e.Tags {
			j.strElem(t)
		}
		j.closeArr(a)
		x.use(fTags)
	}
	if haveTime {
		j.key("original_time")
		j.b = append(j.b, '"')
		j.b = e.Time.UTC().AppendFormat(j.b, time.RFC3339Nano)
		j.b = append(j.b, '"')
	}
	if x.cloud || secCtl {
		a := j.openArr("profiles")
		if x.cloud {
			j.strElem("cloud")
		}
		if secCtl {
			j.strElem("security_control")
		}
		j.closeArr(a)
	}
	j.close(m)
}

// cloudObj writes cloud{provider, region, account or project}.
func (x *encoder) cloudObj(provider string, awsAccount bool) {
	e, j := x.e, &x.j
	m := j.open("cloud")
	j.str("provider", provider)
	if e.Region != "" {
		j.str("region", e.Region)
		x.use(fRegion)
	}
	if e.Account != "" {
		if e.Vendor == event.VendorGCP {
			j.str("project_uid", e.Account)
		} else {
			a := j.open("account")
			j.str("uid", e.Account)
			if awsAccount {
				j.int("type_id", 10)
				j.str("type", "AWS Account")
			}
			j.close(a)
		}
		x.use(fAccount)
	}
	j.close(m)
}

// apiObj writes api{operation, service}. withService names the called
// service when the event's dest is a vendor API endpoint.
func (x *encoder) apiObj(withService bool) {
	e, j := x.e, &x.j
	m := j.open("api")
	if e.EventName != "" {
		j.str("operation", e.EventName)
		x.use(fEventName)
	} else {
		j.str("operation", unknown)
	}
	if withService && isServiceHost(e.Dest) {
		s := j.open("service")
		j.str("name", e.Dest)
		j.close(s)
		x.use(fDest)
	}
	j.close(m)
}

// actor writes actor{user, idp} for the principal that acted. When
// required and the event names no principal, the user is "Unknown".
func (x *encoder) actor(required bool) {
	e, j := x.e, &x.j
	m := j.open("actor")
	wroteUser := x.principal("user", "")
	wroteIdp := false
	if idp := auth(e).IdentityProvider; idp != "" {
		i := j.open("idp")
		j.str("name", idp)
		j.close(i)
		x.use(fIdentityProvider)
		wroteIdp = true
	}
	if !wroteUser && (required || wroteIdp) {
		u := j.open("user")
		j.str("name", unknown)
		j.close(u)
	}
	j.close(m)
}

// principal writes user{name, uid, type, type_id, credential_uid,
// groups} for the event's src_user and reports whether it wrote anything.
func (x *encoder) principal(key, group string) bool {
	e, j := x.e, &x.j
	m := j.open(key)
	if e.SrcUser != "" {
		name, uid := splitPrincipal(e.SrcUser)
		j.str("name", name)
		j.str("uid", uid)
		x.use(fSrcUser)
	}
	if e.UserType != "" {
		j.int("type_id", int64(userTypeID(e.UserType)))
		j.str("type", e.UserType)
		x.use(fUserType)
	}
	if e.CredentialID != "" {
		j.str("credential_uid", e.CredentialID)
		x.use(fCredentialID)
	}
	if group != "" {
		g := j.openArr("groups")
		ge := j.elem()
		j.str("name", group)
		j.close(ge)
		j.closeArr(g)
		x.use(fGroupName)
	}
	if e.SrcUser == "" && j.b[len(j.b)-1] != '{' {
		// type, credential or group alone do not identify a user.
		j.str("name", unknown)
	}
	return j.close(m)
}

// target writes the user an account change acted on: the event's dest,
// unless dest was already written as the policy.
func (x *encoder) target() {
	e, j := x.e, &x.j
	m := j.open("user")
	if e.Dest != "" && !x.isUsed(fDest) {
		name, uid := splitPrincipal(e.Dest)
		j.str("name", name)
		j.str("uid", uid)
		x.use(fDest)
	} else {
		j.str("name", unknown)
	}
	j.close(m)
}

// splitPrincipal derives a user name and uid from a principal: an ARN or
// a resource path is the uid and its last part the name; anything else
// (a user name, an e-mail address) is the name.
func splitPrincipal(p string) (name, uid string) {
	if strings.HasPrefix(p, "arn:") {
		res := p
		for i := 0; i < 5; i++ {
			k := strings.IndexByte(res, ':')
			if k < 0 {
				return p, p
			}
			res = res[k+1:]
		}
		if k := strings.IndexByte(res, '/'); k >= 0 && k+1 < len(res) {
			res = res[k+1:]
		}
		return res, p
	}
	if k := strings.LastIndexByte(p, '/'); k >= 0 && k+1 < len(p) {
		return p[k+1:], p
	}
	return p, ""
}

func userTypeID(t string) int {
	for _, r := range userTypes {
		if strings.EqualFold(t, r.word) {
			return r.id
		}
	}
	return 99
}

func isServiceHost(s string) bool {
	for _, h := range serviceHosts {
		if len(s) > len(h) && strings.HasSuffix(s, h) && strings.IndexByte(s, '/') < 0 {
			return true
		}
	}
	return false
}

// endpoint carries the network details of one side of a connection.
type endpoint struct {
	port     int64
	vpc, ifc string
}

// srcEndpoint writes the source endpoint: src_ip, and src when it is not
// the same address (a vendor service or a host name).
func (x *encoder) srcEndpoint(required bool, ep endpoint) {
	e, j := x.e, &x.j
	m := j.open("src_endpoint")
	if e.SrcIP != "" {
		j.str("ip", e.SrcIP)
		x.use(fSrcIP)
	}
	if e.Src != "" {
		switch {
		case e.Src == e.SrcIP:
		case isServiceHost(e.Src):
			j.str("svc_name", e.Src)
		default:
			j.str("name", e.Src)
		}
		x.use(fSrc)
	}
	x.endpointDetails(ep, fSrcPort)
	if required && j.b[len(j.b)-1] == '{' {
		j.str("name", unknown)
	}
	j.close(m)
}

func (x *encoder) endpointDetails(ep endpoint, portField int) {
	j := &x.j
	if ep.port != 0 {
		j.int("port", ep.port)
		x.use(portField)
	}
	if ep.vpc != "" {
		j.str("vpc_uid", ep.vpc)
		x.use(fVPC)
	}
	if ep.ifc != "" {
		j.str("interface_uid", ep.ifc)
		x.use(fDvc)
	}
}

func (x *encoder) httpRequest() {
	e, j := x.e, &x.j
	if e.UserAgent != "" {
		m := j.open("http_request")
		j.str("user_agent", e.UserAgent)
		j.close(m)
		x.use(fHTTPUserAgent)
	}
}

// resources writes the resources the event names: the scanned resource,
// bucket and object, instance and image, container image, repository,
// registry, cluster and workload, and dest when it is none of those.
func (x *encoder) resources() {
	m := x.j.openArr("resources")
	x.resourceItems()
	x.j.closeArr(m)
}

// resourceItems writes the elements of resources for the current event.
func (x *encoder) resourceItems() {
	e := x.e
	v := vuln(e)
	if v.ResourceURI != "" {
		x.resource("", v.ResourceURI, "", "")
		x.use(fResourceURI)
	}
	s := e.Storage
	if s == nil {
		s = &noStorage
	}
	if s.BucketName != "" {
		x.resource(s.BucketName, "", "bucket", "")
		x.use(fBucketName)
	}
	if s.ObjectPath != "" {
		x.resource(s.ObjectPath, "", "object", s.BucketName)
		x.use(fObjectPath)
	}
	c := e.Compute
	if c == nil {
		c = &noCompute
	}
	if c.InstanceID != "" {
		x.resource("", c.InstanceID, "instance", "")
		x.use(fInstanceID)
	}
	if c.ImageID != "" {
		x.resource("", c.ImageID, "machine_image", "")
		x.use(fImageID)
	}
	k := e.Container
	if k == nil {
		k = &noContainer
	}
	if k.Image != "" || k.ImageDigest != "" {
		x.resource(k.Image, k.ImageDigest, "container_image", "")
		x.use(fImage, fImageDigest)
	}
	if k.Repository != "" {
		x.resource(k.Repository, "", "container_repository", "")
		x.use(fRepository)
	}
	if k.Registry != "" {
		x.resource(k.Registry, "", "container_registry", "")
		x.use(fRegistry)
	}
	if k.Cluster != "" {
		x.resource(k.Cluster, "", "cluster", "")
		x.use(fCluster)
	}
	switch {
	case k.Workload != "":
		typ, name := "kubernetes_object", k.Workload
		if i := strings.IndexByte(name, '/'); i > 0 && i+1 < len(name) {
			typ, name = name[:i], name[i+1:]
		}
		x.resource(name, "", typ, k.Namespace)
		x.use(fWorkload)
		if k.Namespace != "" {
			x.use(fNamespace)
		}
	case k.Namespace != "":
		x.resource(k.Namespace, "", "namespace", "")
		x.use(fNamespace)
	}
	if k.ContainerName != "" {
		x.resource(k.ContainerName, "", "container", k.Namespace)
		x.use(fContainerName)
	}
	if e.Dest != "" && !x.isUsed(fDest) {
		if !x.named(e.Dest) {
			if strings.ContainsAny(e.Dest, ":/") {
				x.resource("", e.Dest, "", "")
			} else {
				x.resource(e.Dest, "", "", "")
			}
		}
		x.use(fDest)
	}
}

func (x *encoder) resource(name, uid, typ, namespace string) {
	j := &x.j
	m := j.elem()
	j.str("name", name)
	j.str("uid", uid)
	j.str("type", typ)
	j.str("namespace", namespace)
	x.closeElem(m)
}

// closeElem ends the array element opened at mark m, like close, and
// with dedup set removes it again when an earlier element of the same
// array has the same bytes. It reports whether the element was kept.
func (x *encoder) closeElem(m int) bool {
	j := &x.j
	if !j.close(m) {
		return false
	}
	if !x.dedup {
		return true
	}
	start := m
	if j.b[start] == ',' {
		start++
	}
	el := j.b[start:]
	for _, r := range x.seen {
		if string(j.b[r[0]:r[1]]) == string(el) {
			j.b = j.b[:m]
			return false
		}
	}
	x.seen = append(x.seen, [2]int{start, len(j.b)})
	return true
}

// named reports whether s is already written as one of the resources.
func (x *encoder) named(s string) bool {
	e := x.e
	if e.Storage != nil && (s == e.Storage.BucketName || s == e.Storage.ObjectPath) {
		return true
	}
	if e.Compute != nil && (s == e.Compute.InstanceID || s == e.Compute.ImageID) {
		return true
	}
	if k := e.Container; k != nil && (s == k.Image || s == k.ImageDigest || s == k.Repository ||
		s == k.Registry || s == k.Cluster || s == k.Workload || s == k.ContainerName) {
		return true
	}
	return e.Vuln != nil && s == e.Vuln.ResourceURI
}

// unmapped writes every set field the class mapping did not use, under
// its data model name.
func (x *encoder) unmapped() {
	e, j := x.e, &x.j
	m := j.open("unmapped")
	for i, f := range event.Fields {
		if x.used[i] || !f.IsSet(e) {
			continue
		}
		switch f.Kind {
		case event.KindInt:
			n, _ := f.Number(e)
			j.int(f.Name, int64(n))
		case event.KindFloat:
			n, _ := f.Number(e)
			j.float(f.Name, n)
		case event.KindList:
			a := j.openArr(f.Name)
			for _, t := range e.Tags {
				j.strElem(t)
			}
			j.closeArr(a)
		default:
			j.str(f.Name, f.String(e))
		}
	}
	j.close(m)
}
