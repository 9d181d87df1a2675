package cloudtrail

import (
	"strings"
	"sync"

	"github.com/valyala/fastjson"
)

// Athena query results over CloudTrail tables, and the exports of data
// lakes built on them, write the record's keys in lower case
// ("eventname", "useridentity": {"principalid": ...}) and the free-form
// members (requestparameters, responseelements, additionaleventdata,
// serviceeventdetails) as JSON text in strings. Such a record is rewritten
// into the CloudTrail form before it is read: its keys given back their
// CloudTrail case and those strings parsed.

// canonicalKeys are CloudTrail's record and userIdentity keys, by their
// lower-case form.
var canonicalKeys = map[string]string{}

// jsonText are the members an Athena table holds as JSON text.
var jsonText = map[string]bool{
	"requestParameters": true, "responseElements": true, "additionalEventData": true, "serviceEventDetails": true,
}

// identityKeys are the members whose objects hold identity keys, which are
// given back their case too; other objects are kept as they are.
var identityKeys = map[string]bool{
	"userIdentity": true, "sessionContext": true, "sessionIssuer": true, "attributes": true,
	"webIdFederationData": true, "onBehalfOf": true, "inScopeOf": true, "tlsDetails": true,
	"edgeDeviceDetails": true, "insightDetails": true,
}

func init() {
	for _, k := range strings.Fields(`eventVersion userIdentity eventTime eventSource eventName awsRegion
		sourceIPAddress userAgent errorCode errorMessage requestParameters responseElements additionalEventData
		requestID eventID readOnly resources eventType apiVersion managementEvent recipientAccountId
		serviceEventDetails sharedEventID vpcEndpointId vpcEndpointAccountId eventCategory addendum
		sessionCredentialFromConsole edgeDeviceDetails tlsDetails insightDetails
		type principalId arn accountId accessKeyId userName sessionContext attributes creationDate
		mfaAuthenticated sessionIssuer webIdFederationData federatedProvider sourceIdentity ec2RoleDelivery
		assumedRoot invokedBy identityProvider credentialId onBehalfOf userId identityStoreArn inScopeOf
		issuerType tlsVersion cipherSuite clientProvidedHostHeader ARN accountID`) {
		if _, dup := canonicalKeys[strings.ToLower(k)]; !dup {
			canonicalKeys[strings.ToLower(k)] = k
		}
	}
}

// lowerCase reports a record written with lower-case keys: it has no
// eventName but an eventname.
func lowerCase(v *fastjson.Value) bool {
	return v.Get("eventName") == nil && v.Get("eventname") != nil
}

// canonicalKey returns the CloudTrail spelling of a key in any case,
// without allocating.
func canonicalKey(k []byte) (string, bool) {
	var buf [40]byte
	if len(k) > len(buf) {
		return "", false
	}
	for i, c := range k {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	ck, ok := canonicalKeys[string(buf[:len(k)])]
	return ck, ok
}

// canon holds what rewriting one record needs; pooled, since formats are
// used concurrently.
type canon struct {
	arena   fastjson.Arena
	parsers []fastjson.Parser
	used    int
}

var canonPool = sync.Pool{New: func() any { return &canon{parsers: make([]fastjson.Parser, len(jsonText))} }}

// canonical returns v rewritten in the CloudTrail form. The result lives in
// c until c is put back in the pool.
func (c *canon) canonical(v *fastjson.Value) *fastjson.Value {
	c.arena.Reset()
	c.used = 0
	return c.object(v)
}

// object rewrites the keys of a record or identity object; the other
// objects in it are kept as they are.
func (c *canon) object(v *fastjson.Value) *fastjson.Value {
	o, _ := v.Object()
	out := c.arena.NewObject()
	o.Visit(func(k []byte, x *fastjson.Value) {
		key, ok := canonicalKey(k)
		if !ok {
			key = string(k)
		}
		switch {
		case jsonText[key] && x.Type() == fastjson.TypeString && c.used < len(c.parsers):
			b, _ := x.StringBytes()
			if t := strings.TrimSpace(string(b)); len(t) > 1 && (t[0] == '{' || t[0] == '[') {
				if y, err := c.parsers[c.used].Parse(t); err == nil {
					c.used++
					x = y
				}
			}
		case identityKeys[key] && x.Type() == fastjson.TypeObject:
			x = c.object(x)
		}
		out.Set(key, x)
	})
	return out
}
