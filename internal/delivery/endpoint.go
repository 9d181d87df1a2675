package delivery

import (
	"fmt"
	"net"
	"net/url"
)

// Loopback reports whether host names this machine (localhost or a
// loopback address).
func Loopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// HTTPEndpoint checks a destination's URL: http or https with a host, and
// plain http only to this machine unless insecure allows it.
func HTTPEndpoint(raw string, insecure bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("url %q: want an http or https URL", raw)
	}
	if u.Scheme == "http" && !insecure && !Loopback(u.Hostname()) {
		return nil, fmt.Errorf("url %q: plain http to a host that is not this machine; use https", raw)
	}
	return u, nil
}
