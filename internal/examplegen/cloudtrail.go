package main

import (
	"fmt"
	"time"
)

// ident is a CloudTrail userIdentity.
type ident struct {
	kind      string // IAMUser, AssumedRole, AWSService, WebIdentityUser
	principal string
	arn       string
	key       string
	user      string
	// AssumedRole: the role that issued the session.
	roleName, roleID string
	invokedBy        string
	console, mfa     bool
	created          time.Time
	idp              string
}

func iamUser(name, id, key string) ident {
	return ident{kind: "IAMUser", principal: id, arn: "arn:aws:iam::" + account + ":user/" + name, key: key, user: name}
}

func assumedRole(role, roleID, session, key string, created time.Time) ident {
	return ident{kind: "AssumedRole", principal: roleID + ":" + session, arn: "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + session,
		key: key, roleName: role, roleID: roleID, created: created}
}

func service(name string) ident { return ident{kind: "AWSService", invokedBy: name} }

func (id ident) json() O {
	switch id.kind {
	case "AWSService":
		return obj("type", "AWSService", "invokedBy", id.invokedBy)
	case "WebIdentityUser":
		return obj("type", "WebIdentityUser", "principalId", id.principal, "userName", id.user, "identityProvider", id.idp)
	}
	o := obj("type", id.kind, "principalId", id.principal, "arn", id.arn, "accountId", account)
	if id.key != "" {
		o = append(o, KV{"accessKeyId", id.key})
	}
	if id.kind == "IAMUser" {
		o = append(o, KV{"userName", id.user})
	}
	switch {
	case id.kind == "AssumedRole":
		o = append(o, KV{"sessionContext", obj(
			"sessionIssuer", obj("type", "Role", "principalId", id.roleID, "arn", "arn:aws:iam::"+account+":role/"+id.roleName, "accountId", account, "userName", id.roleName),
			"webIdFederationData", O{},
			"attributes", obj("creationDate", ts(id.created), "mfaAuthenticated", "false"),
		)})
	case id.console:
		o = append(o, KV{"sessionContext", obj(
			"sessionIssuer", O{},
			"webIdFederationData", O{},
			"attributes", obj("creationDate", ts(id.created), "mfaAuthenticated", fmt.Sprint(id.mfa)),
		)})
	}
	if id.invokedBy != "" {
		o = append(o, KV{"invokedBy", id.invokedBy})
	}
	return o
}

// call is one API call to record.
type call struct {
	t         time.Time
	who       ident
	ip, ua    string
	svc, name string
	req, resp any
	ro        bool
	errCode   string
	errMsg    string
	extra     any // additionalEventData
	res       A   // resources
	data      bool
	vpce      string
	host      string // TLS host header; "" means the call came from inside AWS
	tls12     bool
	etype     string
	version   string
	// eb also sends the record to the EventBridge example file.
	eb bool
}

// ctRec is a CloudTrail record with its time, for sorting.
type ctRec struct {
	t   time.Time
	rec O
}

type awsGen struct {
	r       *rng
	records []ctRec
	bridge  []ctRec
}

var eventVersions = map[string]string{"sts": "1.08", "signin": "1.09", "logs": "1.09", "monitoring": "1.09", "autoscaling": "1.09"}

func (g *awsGen) add(c call) O {
	source := c.svc + ".amazonaws.com"
	v := c.version
	if v == "" {
		if v = eventVersions[c.svc]; v == "" {
			v = "1.10"
		}
	}
	rec := obj("eventVersion", v, "userIdentity", c.who.json(), "eventTime", ts(c.t), "eventSource", source,
		"eventName", c.name, "awsRegion", region, "sourceIPAddress", c.ip, "userAgent", c.ua)
	if c.errCode != "" {
		rec = append(rec, KV{"errorCode", c.errCode}, KV{"errorMessage", c.errMsg})
	}
	rec = append(rec, KV{"requestParameters", c.req}, KV{"responseElements", c.resp})
	if c.extra != nil {
		rec = append(rec, KV{"additionalEventData", c.extra})
	}
	reqID := g.r.uuid()
	if c.svc == "s3" {
		reqID = g.r.HEX(16)
	}
	rec = append(rec, KV{"requestID", reqID}, KV{"eventID", g.r.uuid()}, KV{"readOnly", c.ro})
	if c.res != nil {
		rec = append(rec, KV{"resources", c.res})
	}
	etype := c.etype
	if etype == "" {
		etype = "AwsApiCall"
	}
	rec = append(rec, KV{"eventType", etype}, KV{"managementEvent", !c.data}, KV{"recipientAccountId", account})
	if c.vpce != "" {
		rec = append(rec, KV{"vpcEndpointId", c.vpce}, KV{"vpcEndpointAccountId", account})
	}
	cat := "Management"
	if c.data {
		cat = "Data"
	}
	rec = append(rec, KV{"eventCategory", cat})
	if c.host != "" {
		if c.tls12 {
			rec = append(rec, KV{"tlsDetails", obj("tlsVersion", "TLSv1.2", "cipherSuite", "ECDHE-RSA-AES128-GCM-SHA256", "clientProvidedHostHeader", c.host)})
		} else {
			rec = append(rec, KV{"tlsDetails", obj("tlsVersion", "TLSv1.3", "cipherSuite", "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader", c.host)})
		}
	}
	if c.who.console {
		rec = append(rec, KV{"sessionCredentialFromConsole", "true"})
	}
	g.records = append(g.records, ctRec{c.t, rec})
	if c.eb {
		g.bridge = append(g.bridge, ctRec{c.t, rec})
	}
	return rec
}

func (g *awsGen) tempKey() string { return "ASIA" + g.r.upper(16) }

func expiry(t time.Time) string { return t.Format("Jan 2, 2006, 3:04:05 PM") }

func repoARN(repo string) A {
	return A{obj("accountId", account, "ARN", "arn:aws:ecr:"+region+":"+account+":repository/"+repo)}
}

const (
	ecrHost = "api.ecr." + region + ".amazonaws.com"
	dkrHost = registry
)

// ecrCall fills in what every ECR call has.
func (g *awsGen) ecr(t time.Time, who ident, ip, ua, name string, repo string, req, resp any, ro bool) call {
	c := call{t: t, who: who, ip: ip, ua: ua, svc: "ecr", name: name, req: req, resp: resp, ro: ro, host: ecrHost}
	if repo != "" {
		c.res = repoARN(repo)
	}
	return c
}

// pushImage records a docker push of im to ECR: the layer checks, the
// uploads of the layers the registry lacks, and PutImage for each tag.
func (g *awsGen) pushImage(t time.Time, who ident, ip, ua, vpce string, im image, newLayers []layer, tags []string, tls12, eb bool) time.Time {
	all := []string{}
	for _, l := range im.Layers {
		all = append(all, l.Digest)
	}
	mk := func(name string, req, resp any, ro bool) call {
		c := g.ecr(t, who, ip, ua, name, im.Repo, req, resp, ro)
		c.host, c.vpce, c.tls12 = dkrHost, vpce, tls12
		return c
	}
	g.add(mk("BatchCheckLayerAvailability", obj("registryId", account, "repositoryName", im.Repo, "layerDigests", all), nil, true))
	for _, l := range append(append([]layer{}, newLayers...), im.Config) {
		t = t.Add(g.r.secs(1, 2))
		up := g.r.uuid()
		part := 10485760
		c := mk("InitiateLayerUpload", obj("registryId", account, "repositoryName", im.Repo), obj("uploadId", up, "partSize", part), false)
		c.t = t
		g.add(c)
		for first := 0; first < l.Size; first += part {
			last := first + part - 1
			if last >= l.Size {
				last = l.Size - 1
			}
			t = t.Add(g.r.secs(1, 1+(last-first)/3000000))
			c := mk("UploadLayerPart", obj("registryId", account, "repositoryName", im.Repo, "uploadId", up, "partFirstByte", first, "partLastByte", last),
				obj("registryId", account, "repositoryName", im.Repo, "uploadId", up, "lastByteReceived", last), false)
			c.t = t
			g.add(c)
		}
		t = t.Add(g.r.secs(0, 1))
		c = mk("CompleteLayerUpload", obj("registryId", account, "repositoryName", im.Repo, "uploadId", up, "layerDigests", []string{l.Digest}),
			obj("registryId", account, "repositoryName", im.Repo, "uploadId", up, "layerDigest", l.Digest), false)
		c.t = t
		c.eb = eb && len(newLayers) > 0 && l.Digest == newLayers[len(newLayers)-1].Digest
		g.add(c)
	}
	for i, tag := range tags {
		t = t.Add(g.r.secs(1, 2))
		if i > 0 {
			c := mk("BatchCheckLayerAvailability", obj("registryId", account, "repositoryName", im.Repo, "layerDigests", all), nil, true)
			c.t = t
			g.add(c)
			t = t.Add(g.r.secs(0, 1))
		}
		mt := "application/vnd.docker.distribution.manifest.v2+json"
		c := mk("PutImage",
			obj("repositoryName", im.Repo, "imageTag", tag, "registryId", account, "imageManifest", im.Manifest, "imageManifestMediaType", mt),
			obj("image", obj("registryId", account, "repositoryName", im.Repo, "imageId", obj("imageDigest", im.Digest, "imageTag", tag), "imageManifest", im.Manifest, "imageManifestMediaType", mt)),
			false)
		c.t = t
		c.eb = eb && i == 0
		g.add(c)
	}
	return t
}

// pull records a pull of repo:tag by a node: BatchGetImage, then a
// download URL for each blob the node does not have yet.
func (g *awsGen) pull(t time.Time, node ident, nodeIP, repo, tag string, blobs []layer) time.Time {
	mk := func(name string, req any) call {
		c := g.ecr(t, node, nodeIP, uaContainerd, name, repo, req, nil, true)
		c.host, c.vpce = dkrHost, vpceECR
		return c
	}
	g.add(mk("BatchGetImage", obj("registryId", account, "repositoryName", repo, "imageIds", A{obj("imageTag", tag)},
		"acceptedMediaTypes", []string{"application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json"})))
	for _, b := range blobs {
		t = t.Add(g.r.secs(0, 2))
		c := mk("GetDownloadUrlForLayer", obj("registryId", account, "repositoryName", repo, "layerDigest", b.Digest))
		c.t = t
		g.add(c)
	}
	return t
}

// node is an EKS worker.
type node struct {
	id, ip string
	who    ident
	cache  map[string]bool
}

func (g *awsGen) newNode(id, ip string, launched time.Time) *node {
	return &node{id: id, ip: ip, who: assumedRole("eks-node-role", "AROAQ3EXAMPLE0EKSNODE", id, g.tempKey(), launched), cache: map[string]bool{}}
}

// pullImage pulls im onto n, fetching only blobs n lacks.
func (g *awsGen) pullImage(t time.Time, n *node, im image, tag string) time.Time {
	var need []layer
	for _, l := range append(append([]layer{}, im.Layers...), im.Config) {
		if !n.cache[l.Digest] {
			need = append(need, l)
			n.cache[l.Digest] = true
		}
	}
	return g.pull(t, n.who, n.ip, im.Repo, tag, need)
}
