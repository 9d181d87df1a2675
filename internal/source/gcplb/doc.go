// Package gcplb reads the request logs of Google Cloud's application
// (HTTP(S)) load balancers: Cloud Logging LogEntries whose jsonPayload is
// a LoadBalancerLogEntry and whose httpRequest tells the request. Each
// becomes a Network_Traffic event of the client's connection to the load
// balancer, with the fields HTTP adds (user agent, URL, status), and the
// Cloud Armor decision as the action.
package gcplb
