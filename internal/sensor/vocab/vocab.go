// Package vocab is the runtime sensor's vocabulary: the product its
// events name, and every event name it emits, each declared once with the
// Sigma logsource categories (product linux) whose rules receive it, or
// why none does. The sensor's mapper names its events from here and the
// detection engine routes them from here: a new event is one constant and
// one row in events, and a test fails when the row does not say where the
// event is routed.
//
// The package imports nothing, so the engine, the sensor event format and
// the rule tests use it on every platform without the Linux-only sensor.
package vocab

// Product is the vendor_product of the sensor's events.
const Product = "vigil sensor"

// The Sigma logsource categories of product linux the sensor feeds, as
// Sysmon for Linux fills them; their rules read Sigma's field names
// (Image, TargetFilename, DestinationPort...).
const (
	ProcessCreation    = "process_creation"    // a program executed
	ProcessTermination = "process_termination" // a process exited
	FileEvent          = "file_event"          // a file created or written
	FileRename         = "file_rename"         // a file renamed
	FileDelete         = "file_delete"         // a file or directory removed
	FileAccess         = "file_access"         // a file opened for reading
	FileChange         = "file_change"         // a file's mode changed
	NetworkConnection  = "network_connection"  // a connection made or accepted
)

// ID numbers the sensor's events; the sensor counts events by it.
type ID uint8

// The sensor's events. Each has its row in events.
const (
	Execve ID = iota
	Fork
	Exit
	Create
	Write
	Read
	Rename
	Unlink
	Rmdir
	Chmod
	Connect
	Accept
	Bind
	Listen
	Dup
	Ptrace
	Memfd
	Setuid
	Setgid
	Setreuid
	Setregid
	Setresuid
	Setresgid
	Setfsuid
	Setfsgid
	Mount
	Unshare
	Setns
	InitModule
	FinitModule
	BPF
	Umount
	Chroot
	Count // the number of events
)

// An Event is one event name of the sensor and where Sigma's Linux
// rules see it.
type Event struct {
	ID   ID
	Name string // event_name
	// Categories are the Sigma categories (product linux) whose rules
	// receive the event.
	Categories []string
	// Unrouted says why no category receives the event, when none does.
	// Every event reaches product vigil's rules (category process, file
	// or network_traffic, by dataset), which select it by event_name.
	Unrouted string
}

// Reasons an event has no Sigma category.
const (
	auditdOnly = "Sigma has no category for this call: it sees it in auditd's SYSCALL records (service auditd), which vigil does not feed"
	socketOnly = "a socket bound or listening is not a connection: Sigma's network_connection is one made or accepted"
	moduleLoad = "Sigma's driver_load is a Windows driver's image (ImageLoaded, Signed); module loads are seen in auditd's SYSCALL records, which vigil does not feed"
)

func in(categories ...string) []string { return categories }

// events are the sensor's events by ID.
var events = [Count]Event{
	Execve:      {Name: "execve", Categories: in(ProcessCreation)},
	Fork:        {Name: "fork", Unrouted: "a fork runs no new program: Sigma's process_creation is an exec (the child's execve)"},
	Exit:        {Name: "exit", Categories: in(ProcessTermination)},
	Create:      {Name: "create", Categories: in(FileEvent)},
	Write:       {Name: "write", Categories: in(FileEvent)},
	Read:        {Name: "read", Categories: in(FileAccess)},
	Rename:      {Name: "rename", Categories: in(FileEvent, FileRename)},
	Unlink:      {Name: "unlink", Categories: in(FileDelete)},
	Rmdir:       {Name: "rmdir", Categories: in(FileDelete)},
	Chmod:       {Name: "chmod", Categories: in(FileChange)},
	Connect:     {Name: "connect", Categories: in(NetworkConnection)},
	Accept:      {Name: "accept", Categories: in(NetworkConnection)},
	Bind:        {Name: "bind", Unrouted: socketOnly},
	Listen:      {Name: "listen", Unrouted: socketOnly},
	Dup:         {Name: "dup", Unrouted: "a descriptor duplicated (a socket onto a shell's stdin): Sigma has no category for it"},
	Ptrace:      {Name: "ptrace", Unrouted: "Sigma's process_access is a Windows handle's access (TargetImage, GrantedAccess, CallTrace), which the sensor does not record; ptrace is seen in auditd's SYSCALL records, which vigil does not feed"},
	Memfd:       {Name: "memfd_create", Unrouted: "an anonymous file with no path is not Sigma's file_event; its execution is a process_creation (Image /memfd:...)"},
	Setuid:      {Name: "setuid", Unrouted: auditdOnly},
	Setgid:      {Name: "setgid", Unrouted: auditdOnly},
	Setreuid:    {Name: "setreuid", Unrouted: auditdOnly},
	Setregid:    {Name: "setregid", Unrouted: auditdOnly},
	Setresuid:   {Name: "setresuid", Unrouted: auditdOnly},
	Setresgid:   {Name: "setresgid", Unrouted: auditdOnly},
	Setfsuid:    {Name: "setfsuid", Unrouted: auditdOnly},
	Setfsgid:    {Name: "setfsgid", Unrouted: auditdOnly},
	Mount:       {Name: "mount", Unrouted: auditdOnly},
	Unshare:     {Name: "unshare", Unrouted: auditdOnly},
	Setns:       {Name: "setns", Unrouted: auditdOnly},
	InitModule:  {Name: "init_module", Unrouted: moduleLoad},
	FinitModule: {Name: "finit_module", Unrouted: moduleLoad},
	BPF:         {Name: "bpf", Unrouted: auditdOnly},
	Umount:      {Name: "umount", Unrouted: auditdOnly},
	Chroot:      {Name: "chroot", Unrouted: auditdOnly},
}

func init() {
	for id := range events {
		events[id].ID = ID(id)
	}
}

// String returns the event's name.
func (id ID) String() string {
	if id >= Count {
		return ""
	}
	return events[id].Name
}

// Events returns the sensor's events, in ID order.
func Events() []Event {
	return append([]Event(nil), events[:]...)
}

// Categories returns each Sigma category (product linux) the sensor
// feeds with the event names it receives, in ID order.
func Categories() map[string][]string {
	m := map[string][]string{}
	for _, e := range events {
		for _, c := range e.Categories {
			m[c] = append(m[c], e.Name)
		}
	}
	return m
}
