package kernel

//go:generate go tool bpf2go -tags linux -target amd64 -type event_header -type exec_body -type fork_body -type exit_body -type file_body -type net_body -type sys_body -type cgroup_body -type cgroup_op -type fd_info -type name_key -type event_kind -type event_flag -type path_flag -type exec_flag -type fd_type sensor ../../../bpf/sensor.bpf.c -- -I../../../bpf -O2 -g -Wall -Werror
