package main

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// flow is one flow-log record.
type flow struct {
	start, end     time.Time
	eni, instance  string
	subnet         string
	src, dst       string
	sport, dport   int
	proto          int
	packets, bytes int
	action         string
	flags          int
	pktSrc, pktDst string
	az             string
	srcSvc, dstSvc string
	direction      string
	path           string
	nodata         bool
}

const (
	vpcID     = "vpc-0a1b2c3d4e5f67890"
	flowLogID = "fl-0c0ffee1234567890"
)

// v2 renders the default format: version 2, 14 fields.
func (f flow) v2() string {
	if f.nodata {
		return fmt.Sprintf("2 %s %s - - - - - - - %d %d - NODATA", account, f.eni, f.start.Unix(), f.end.Unix())
	}
	return fmt.Sprintf("2 %s %s %s %s %d %d %d %d %d %d %d %s OK", account, f.eni, f.src, f.dst, f.sport, f.dport, f.proto, f.packets, f.bytes, f.start.Unix(), f.end.Unix(), f.action)
}

const v5Header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path"

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// v5 renders the custom format of v5Header.
func (f flow) v5() string {
	pktSrc, pktDst := f.pktSrc, f.pktDst
	if pktSrc == "" {
		pktSrc = f.src
	}
	if pktDst == "" {
		pktDst = f.dst
	}
	return strings.Join([]string{"5", account, f.eni, f.src, f.dst, fmt.Sprint(f.sport), fmt.Sprint(f.dport), fmt.Sprint(f.proto),
		fmt.Sprint(f.packets), fmt.Sprint(f.bytes), fmt.Sprint(f.start.Unix()), fmt.Sprint(f.end.Unix()), f.action, "OK",
		vpcID, f.subnet, dash(f.instance), fmt.Sprint(f.flags), "IPv4", pktSrc, pktDst, region, f.az, "-", "-",
		dash(f.srcSvc), dash(f.dstSvc), f.direction, dash(f.path)}, " ")
}

type flowGen struct {
	r       *rng
	bastion []flow // default-format log of one ENI
	vpc     []flow // custom-format log of the production VPC
}

// window returns the one-minute aggregation window containing t.
func window(t time.Time) (time.Time, time.Time) {
	s := t.Truncate(time.Minute)
	return s, s.Add(time.Minute)
}

func (g *flowGen) ephemeral() int { return g.r.between(32768, 60999) }

// iface is a network interface of the production VPC.
type iface struct {
	eni, instance, subnet, ip, az string
}

var (
	ifALB   = iface{"eni-0b1c2d3e4f5a60301", "", "subnet-0a1b2c3d4e5f60811", "10.20.0.100", "use1-az1"}
	ifNAT   = iface{"eni-0b1c2d3e4f5a60302", "", "subnet-0a1b2c3d4e5f60811", "10.20.0.50", "use1-az1"}
	ifRDS   = iface{"eni-0b1c2d3e4f5a60303", "", "subnet-0c3d4e5f6a7b80821", "10.20.21.5", "use1-az1"}
	ifNode1 = iface{"eni-0c2d3e4f5a6b70401", "i-0a1b2c3d4e5f00101", "subnet-0a2b3c4d5e6f70811", "10.20.11.21", "use1-az1"}
	ifNode2 = iface{"eni-0c2d3e4f5a6b70402", "i-0a1b2c3d4e5f00102", "subnet-0b2c3d4e5f6a70812", "10.20.12.34", "use1-az2"}
	ifNode3 = iface{"eni-0c2d3e4f5a6b70403", "i-0a1b2c3d4e5f00103", "subnet-0c2d3e4f5a6b70813", "10.20.13.47", "use1-az4"}
	ifNode4 = iface{"eni-0c2d3e4f5a6b70404", "i-0d4e5f6a7b8c90104", "subnet-0b2c3d4e5f6a70812", "10.20.12.88", "use1-az2"}
	ifVPCE  = iface{"eni-0b1c2d3e4f5a60305", "", "subnet-0a2b3c4d5e6f70811", "10.20.11.200", "use1-az1"}
	bastion = iface{"eni-0a1b2c3d4e5f60789", "i-0f9e8d7c6b5a40001", "subnet-0a1b2c3d4e5f60811", "10.20.0.15", "use1-az1"}
)

// conn records a TCP connection seen on a's interface from a to b, and
// the reply as a second record, as flow logs do. egress says whether the
// record is written on the source's interface.
func (g *flowGen) conn(out *[]flow, t time.Time, on iface, src, dst string, sport, dport int, reqBytes, respBytes int, egress bool, path string, pktSrc, pktDst string) {
	s, e := window(t)
	pk := 3 + reqBytes/1200
	rp := 2 + respBytes/1400
	dir, rdir := "ingress", "egress"
	if egress {
		dir, rdir = "egress", "ingress"
	}
	p, rpth := "", path
	if egress {
		p, rpth = path, ""
	}
	*out = append(*out,
		flow{start: s, end: e, eni: on.eni, instance: on.instance, subnet: on.subnet, src: src, dst: dst, sport: sport, dport: dport, proto: 6,
			packets: pk, bytes: reqBytes + pk*52, action: "ACCEPT", flags: 19, az: on.az, direction: dir, path: p, pktSrc: pktSrc, pktDst: pktDst},
		flow{start: s, end: e, eni: on.eni, instance: on.instance, subnet: on.subnet, src: dst, dst: src, sport: dport, dport: sport, proto: 6,
			packets: rp, bytes: respBytes + rp*52, action: "ACCEPT", flags: 19, az: on.az, direction: rdir, path: rpth, pktSrc: pktDst, pktDst: pktSrc})
}

func (g *flowGen) reject(out *[]flow, t time.Time, on iface, src, dst string, dport int) {
	s, e := window(t)
	*out = append(*out, flow{start: s, end: e, eni: on.eni, instance: on.instance, subnet: on.subnet, src: src, dst: dst, sport: g.ephemeral(), dport: dport, proto: 6,
		packets: 1, bytes: 44, action: "REJECT", flags: 2, az: on.az, direction: "ingress"})
}

var scanners = []string{"45.137.22.15", "45.137.22.41", "45.137.21.9"}

func genFlows() *flowGen {
	g := &flowGen{r: newRNG("vpcflow")}
	clients := []string{"192.0.2.17", "192.0.2.33", "192.0.2.58", "192.0.2.74", "192.0.2.101", "192.0.2.142", "192.0.2.166", "192.0.2.203", "192.0.2.229"}
	nodes := []iface{ifNode1, ifNode2, ifNode3}

	// The bastion (default format, no header, as CloudWatch Logs exports it).
	for t := bgStart; t.Before(bgEnd); t = t.Add(g.r.secs(60, 240)) {
		switch k := g.r.intn(10); {
		case k < 3: // engineers' SSH from the office
			g.conn(&g.bastion, t, bastion, g.r.pick(officeIP1, officeIP2), bastion.ip, g.ephemeral(), 22, g.r.between(4000, 40000), g.r.between(8000, 90000), false, "", "", "")
		case k < 5: // onward SSH to a node
			n := nodes[g.r.intn(len(nodes))]
			g.conn(&g.bastion, t, bastion, bastion.ip, n.ip, g.ephemeral(), 22, g.r.between(3000, 20000), g.r.between(5000, 60000), true, "1", "", "")
		case k < 6: // psql to the database
			g.conn(&g.bastion, t, bastion, bastion.ip, ifRDS.ip, g.ephemeral(), 5432, g.r.between(2000, 9000), g.r.between(5000, 80000), true, "1", "", "")
		case k < 7: // package mirror
			g.conn(&g.bastion, t, bastion, bastion.ip, "198.51.100.80", g.ephemeral(), 443, g.r.between(900, 2000), g.r.between(20000, 900000), true, "8", "", "")
		default: // internet background noise: scanners knocking
			port := []int{22, 23, 3389, 445, 5900, 2375, 6379}[g.r.intn(7)]
			g.reject(&g.bastion, t, bastion, scanners[g.r.intn(len(scanners))], bastion.ip, port)
		}
	}
	s, e := window(at(8, 37, 0))
	g.bastion = append(g.bastion, flow{start: s, end: e, eni: bastion.eni, nodata: true})

	// The production VPC (custom v5 format with its header).
	for t := bgStart; t.Before(bgEnd); t = t.Add(g.r.secs(30, 90)) {
		n := nodes[g.r.intn(len(nodes))]
		if t.After(at(8, 57, 0)) && t.Before(at(11, 41, 0)) && g.r.chance(25) {
			n = ifNode4
		}
		switch k := g.r.intn(20); {
		case k < 7: // customers to the load balancer, and the ALB to a node
			c := clients[g.r.intn(len(clients))]
			g.conn(&g.vpc, t, ifALB, c, ifALB.ip, g.ephemeral(), 443, g.r.between(800, 6000), g.r.between(2000, 120000), false, "", "", "")
			g.conn(&g.vpc, t, n, ifALB.ip, n.ip, g.ephemeral(), 30443, g.r.between(800, 6000), g.r.between(2000, 120000), false, "", "", "")
		case k < 11: // pods to the payments database
			g.conn(&g.vpc, t, n, podIP(g.r, n), ifRDS.ip, g.ephemeral(), 5432, g.r.between(500, 8000), g.r.between(1000, 60000), true, "1", "", "")
		case k < 13: // nodes to the ECR and STS interface endpoints
			g.conn(&g.vpc, t, n, n.ip, ifVPCE.ip, g.ephemeral(), 443, g.r.between(1000, 5000), g.r.between(2000, 30000), true, "1", "", "")
		case k < 16: // the payment processor's API, through the NAT gateway
			pod := podIP(g.r, n)
			g.conn(&g.vpc, t, n, pod, "198.51.100.150", g.ephemeral(), 443, g.r.between(1500, 6000), g.r.between(2000, 9000), true, "1", "", "")
			g.conn(&g.vpc, t, ifNAT, ifNAT.ip, "198.51.100.150", g.ephemeral(), 443, g.r.between(1500, 6000), g.r.between(2000, 9000), true, "8", "", "")
		case k < 19: // scanners probing the load balancer
			g.reject(&g.vpc, t, ifALB, scanners[g.r.intn(len(scanners))], ifALB.ip, []int{22, 80, 8080, 8443, 3389, 9200}[g.r.intn(6)])
		default: // scanners trying HTTPS, which the ALB accepts
			g.conn(&g.vpc, t, ifALB, scanners[g.r.intn(len(scanners))], ifALB.ip, g.ephemeral(), 443, g.r.between(300, 700), g.r.between(300, 4000), false, "", "", "")
		}
	}
	// After 10:06 the two payments pods started from the implanted image
	// call home every five minutes through the NAT gateway.
	for i, p := range []struct {
		on  iface
		pod string
	}{{ifNode4, "10.20.12.91"}, {ifNode2, "10.20.12.147"}} {
		for t := at(10, 8, 13+i*17); t.Before(bgEnd); t = t.Add(5*time.Minute + g.r.secs(-2, 2)) {
			g.conn(&g.vpc, t, p.on, p.pod, attackerIP, g.ephemeral(), 443, g.r.between(600, 1400), g.r.between(300, 900), true, "1", "", "")
			g.conn(&g.vpc, t, ifNAT, ifNAT.ip, attackerIP, g.ephemeral(), 443, g.r.between(600, 1400), g.r.between(300, 900), true, "8", "", "")
		}
	}
	// The fourth node is terminated at 11:41; drop its flows after that.
	kept := g.vpc[:0]
	for _, f := range g.vpc {
		if f.eni == ifNode4.eni && f.start.After(at(11, 41, 0)) {
			continue
		}
		kept = append(kept, f)
	}
	g.vpc = kept
	byStart := func(fs []flow) {
		sort.SliceStable(fs, func(i, j int) bool { return fs[i].start.Before(fs[j].start) })
	}
	byStart(g.bastion)
	byStart(g.vpc)
	return g
}

// podIP is a secondary address of node n that a pod uses.
func podIP(r *rng, n iface) string {
	p := strings.Split(n.ip, ".")
	return fmt.Sprintf("%s.%s.%s.%d", p[0], p[1], p[2], r.between(100, 160))
}
