package fanotify

// pseudoFS are filesystem types whose files are not watched.
var pseudoFS = map[string]bool{
	"proc": true, "sysfs": true, "cgroup": true, "cgroup2": true, "devpts": true,
	"mqueue": true, "debugfs": true, "tracefs": true, "securityfs": true, "bpf": true,
	"configfs": true, "fusectl": true, "nsfs": true, "binfmt_misc": true, "pstore": true,
	"autofs": true, "efivarfs": true, "hugetlbfs": true, "rpc_pipefs": true, "devtmpfs": true,
}
