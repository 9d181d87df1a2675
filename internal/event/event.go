package event

import (
	"time"

	"github.com/valyala/fastjson"
)

// Vendor names the cloud or platform an event comes from.
const (
	VendorAWS        = "aws"
	VendorAzure      = "azure"
	VendorGCP        = "gcp"
	VendorKubernetes = "kubernetes"
	VendorLinux      = "linux"
)

// Dataset is one of the data model's datasets.
type Dataset string

// The datasets of the Cloud Infrastructure data model.
const (
	Compute        Dataset = "Compute"
	Storage        Dataset = "Storage"
	NetworkTraffic Dataset = "Network_Traffic"
	Authentication Dataset = "Authentication"
	Management     Dataset = "Management"
	Database       Dataset = "Database"
	Security       Dataset = "Security"
	Container      Dataset = "Container"
	Vulnerability  Dataset = "Vulnerability"
	Process        Dataset = "Process"
	File           Dataset = "File"
)

// Datasets lists every dataset in documentation order.
var Datasets = []Dataset{Compute, Storage, NetworkTraffic, Authentication, Management, Database, Security, Container, Vulnerability, Process, File}

// DatasetDoc says what each dataset holds.
var DatasetDoc = map[Dataset]string{
	Compute:        "Virtual machines, serverless functions and instance lifecycle (get, put, run, start, stop, terminate, create, delete, modify).",
	Storage:        "Buckets, objects, blobs, disks and their access control.",
	NetworkTraffic: "Flow records from VPC, NSG and firewall logs (action allowed or blocked).",
	Authentication: "Sign-ins, role assumption, federation, tokens and MFA.",
	Management:     "Logging, monitoring, auditing, organisation and cluster configuration.",
	Database:       "SQL and NoSQL database services.",
	Security:       "IAM users, roles, policies and keys; KMS and encryption; firewalls and security groups; security services.",
	Container:      "Registry pushes and pulls; Kubernetes workloads created, updated, exec'd into, and other cluster API activity.",
	Vulnerability:  "Vulnerability findings on images and hosts from registry scanners.",
	Process:        "Processes seen by the runtime sensor: executions, forks and exits, and what processes do to themselves and the system (ptrace, privilege and namespace changes, mounts, kernel module and BPF loads, memfd).",
	File:           "Files seen by the runtime sensor: created, written, truncated, renamed, deleted, made executable, and reads of sensitive files.",
}

// Status values.
const (
	StatusSuccess = "success"
	StatusFailure = "failure"
)

// Event is one normalized event. The common fields are inline; each
// dataset's fields live in a group that is nil unless a source filled it.
type Event struct {
	Time          time.Time
	Vendor        string
	VendorProduct string
	Dataset       Dataset
	Tags          []string
	EventName     string
	Action        string
	Status        string
	Msg           string
	Src           string
	SrcIP         string
	SrcUser       string
	SrcUserName   string
	SrcUserID     string
	UserType      string
	Account       string
	Region        string
	UserAgent     string
	Dest          string
	EventID       string
	CredentialID  string
	Service       string
	// SrcCountry and SrcASN are enrichment: filled from a GeoIP database,
	// not by formats.
	SrcCountry string
	SrcASN     string

	Compute   *ComputeFields
	Storage   *StorageFields
	Network   *NetworkFields
	Auth      *AuthFields
	Container *ContainerFields
	Vuln      *VulnFields
	// Proc is the acting process of a runtime sensor event (any dataset).
	Proc *ProcessFields
	File *FileFields

	// Raw is the original record, kept only when the reader is asked to.
	Raw []byte
	// Record is the vendor record behind the event (the CloudTrail record
	// inside an EventBridge envelope, the Kubernetes audit event inside a
	// cloud wrapper), for detections written against the vendor's own field
	// names. It is valid only while the event is being emitted: the reader
	// reuses its parsers and sets Record to nil once the emit callback
	// returns. Nil for events that did not come from a JSON record.
	Record *fastjson.Value
	// Origin says where the record was read.
	Origin Origin
}

// Origin locates the record an event came from.
type Origin struct {
	File string // path, or "-" for standard input
	Line int    // 1-based line where the record starts
	// Index is the 0-based position of the record inside an envelope
	// ({"Records":[...]}, a JSON array), or -1.
	Index int
}

// ComputeFields holds the Compute dataset's fields.
type ComputeFields struct {
	InstanceID   string
	ImageID      string
	InstanceType string
}

// StorageFields holds the Storage dataset's fields.
type StorageFields struct {
	BucketName    string
	ObjectPath    string
	ACLPermission string
	ACLEntity     string
}

// NetworkFields holds the Network_Traffic dataset's fields (src_ip is common).
type NetworkFields struct {
	SrcPort   int64
	DestIP    string
	DestPort  int64
	Transport string
	Direction string
	Bytes     int64
	Packets   int64
	Duration  int64 // seconds
	TCPFlag   string
	VPC       string
	Rule      string
	Dvc       string
}

// AuthFields holds the Authentication dataset's fields.
type AuthFields struct {
	AssumedRoleUser  string
	Role             string
	GroupName        string
	MFAAuth          string // "true" or "false" when the log says, else empty
	IdentityProvider string
}

// ContainerFields holds the Container dataset's fields.
type ContainerFields struct {
	Registry      string
	Repository    string
	Image         string
	ImageDigest   string
	Cluster       string
	Namespace     string
	Workload      string
	ContainerName string
	ContainerID   string
	Runtime       string

	// The runtime sensor's view of a container: the image as its runtime
	// knows it and the Kubernetes pod it belongs to (also in Image,
	// ImageDigest, Namespace, Workload and ContainerName, the fields the
	// cloud and audit logs share).
	ContainerImage       string
	ContainerImageDigest string
	K8sNamespace         string
	K8sPodName           string
	K8sPodUID            string
	K8sContainerName     string
}

// ProcessFields describe the process behind a runtime sensor event.
type ProcessFields struct {
	PID              int64
	CommandLine      string
	Path             string // the program as executed, absolute
	Name             string // base name of Path
	Exe              string // the executable file (symlinks resolved; /memfd:... for memfd)
	CurrentDirectory string
	UserID           string
	GroupID          string
	LoginID          string // audit login uid, when set
	ParentPID        int64
	ParentCommand    string
	ParentPath       string
	ParentName       string
	Ancestors        string // paths of the ancestors beyond the parent, nearest first
	Stdin, Stdout    string // socket, tty, pipe, file, null or none
	ExeDrift         string // "true" when the executable was written after the container started
	ExeFileless      string // "true" when it runs from memfd or a deleted file
	HostNamespaces   string // for a container's process: which of its namespaces (mnt, pid, net) are the host's
	SyscallArgs      string
}

// FileFields describe the file a runtime sensor event acted on.
type FileFields struct {
	Path       string
	Name       string
	SourcePath string // a rename's old path; a mount's source
	Mode       string // octal permissions set by chmod or create
}

// VulnFields holds the Vulnerability dataset's fields.
type VulnFields struct {
	CVE              string
	Severity         string
	CVSSScore        float64
	Package          string
	InstalledVersion string
	FixedVersion     string
	ResourceURI      string
	Occurrence       string
	NotificationTime string
}

// Group accessors allocate a group on first use.

// C returns the Compute group, allocating it.
func (e *Event) C() *ComputeFields {
	if e.Compute == nil {
		e.Compute = new(ComputeFields)
	}
	return e.Compute
}

// S returns the Storage group, allocating it.
func (e *Event) S() *StorageFields {
	if e.Storage == nil {
		e.Storage = new(StorageFields)
	}
	return e.Storage
}

// N returns the Network_Traffic group, allocating it.
func (e *Event) N() *NetworkFields {
	if e.Network == nil {
		e.Network = new(NetworkFields)
	}
	return e.Network
}

// A returns the Authentication group, allocating it.
func (e *Event) A() *AuthFields {
	if e.Auth == nil {
		e.Auth = new(AuthFields)
	}
	return e.Auth
}

// K returns the Container group, allocating it.
func (e *Event) K() *ContainerFields {
	if e.Container == nil {
		e.Container = new(ContainerFields)
	}
	return e.Container
}

// V returns the Vulnerability group, allocating it.
func (e *Event) V() *VulnFields {
	if e.Vuln == nil {
		e.Vuln = new(VulnFields)
	}
	return e.Vuln
}

// P returns the process group, allocating it.
func (e *Event) P() *ProcessFields {
	if e.Proc == nil {
		e.Proc = new(ProcessFields)
	}
	return e.Proc
}

// F returns the File group, allocating it.
func (e *Event) F() *FileFields {
	if e.File == nil {
		e.File = new(FileFields)
	}
	return e.File
}

// AddTag appends t unless it is already present.
func (e *Event) AddTag(t string) {
	for _, x := range e.Tags {
		if x == t {
			return
		}
	}
	if e.Tags == nil {
		e.Tags = make([]string, 0, 4) // events carry a few tags: grow once
	}
	e.Tags = append(e.Tags, t)
}
