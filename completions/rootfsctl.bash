# bash completion for rootfsctl(1).                                  -*- shell-script -*-
#
# Installed as share/bash-completion/completions/rootfsctl. Works on its own; with the
# bash-completion package loaded it also uses _filedir (quoting, ~) and _command_offset
# (completing the command after `run ... --` with that command's own completion).
# The option tables below follow `rootfsctl CMD --help`; tests/e2e/docs_test.py drives
# this function for every command and fails when an option is missing here.

# Profile names, from the binary being completed (so ROOTFSCTL_PATH and friends count).
# `profiles list` prints a NAME header, then each profile's name at column 0 with its
# description, and its path on an indented line.
_rootfsctl_profile_names() {
    "$1" profiles list 2>/dev/null | awk 'NR > 1 && /^[^ \t]/ { print $1 }'
}

# Adds files (ending in .$1 when given, plus directories to descend into) to COMPREPLY.
_rootfsctl_add_files() {
    if declare -F _filedir >/dev/null; then
        _filedir "$@"
        return
    fi
    local IFS=$'\n'
    compopt -o filenames 2>/dev/null
    if [[ -n $1 ]]; then
        COMPREPLY+=($(compgen -d -- "$cur") $(compgen -f -X "!*.$1" -- "$cur"))
    else
        COMPREPLY+=($(compgen -f -- "$cur"))
    fi
}

# A LAYOUT argument: a profile name or a layout file.
_rootfsctl_add_layouts() {
    local IFS=$'\n'
    COMPREPLY+=($(compgen -W "$(_rootfsctl_profile_names "$1")" -- "$cur"))
    _rootfsctl_add_files yaml
}

_rootfsctl_add_pids() {
    local IFS=$'\n'
    COMPREPLY+=($(compgen -W "$(cd /proc 2>/dev/null && printf '%s\n' [0-9]*)" -- "$cur"))
}

_rootfsctl() {
    local cur=${COMP_WORDS[COMP_CWORD]} cword=$COMP_CWORD
    local -a words=("${COMP_WORDS[@]}")
    COMPREPLY=()

    # `--opt=value`: bash splits it at '=' (COMP_WORDBREAKS) into --opt, =, value.
    local opt=""
    if [[ $cur == "=" ]]; then
        opt=${words[cword - 1]}
        cur=""
    elif ((cword > 1)) && [[ ${words[cword - 1]} == "=" ]]; then
        opt=${words[cword - 2]}
    elif ((cword > 1)); then
        opt=${words[cword - 1]}
    fi

    local bin=${words[0]/#\~/$HOME}
    [[ -x $bin ]] || type -P -- "$bin" >/dev/null || bin=rootfsctl

    local commands="plan apply rollback run mounts verify capture profiles schema oci cache"
    if ((cword == 1)); then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "--help -h --version -V" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        fi
        return
    fi

    # The command, and for `oci` its subcommand; `first` is where their arguments start.
    local cmd=${words[1]} first=2
    if [[ $cmd == oci ]]; then
        if ((cword == 2)); then
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "--help" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "import export hook" -- "$cur"))
            fi
            return
        fi
        cmd="oci ${words[2]}"
        first=3
    fi

    # Everything after `run ... --` is the command to run: complete it as its own line.
    if [[ $cmd == run ]]; then
        local i
        for ((i = first; i < cword; i++)); do
            if [[ ${words[i]} == "--" ]]; then
                if declare -F _command_offset >/dev/null; then
                    _command_offset $((i + 1))
                elif ((cword == i + 1)); then
                    COMPREPLY=($(compgen -c -- "$cur"))
                else
                    _rootfsctl_add_files
                fi
                return
            fi
        done
    fi

    # The entry options (--bind SRC DST ...) of plan, apply, run and profiles: those in
    # `two` take two values, the others one.
    local entries="--bind --bind-try --ro-bind --ro-bind-try --symlink --tmpfs --dir --proc --dev"
    local load="--no-cache --max-layout-nodes --max-layout-bytes"
    local two="--bind --bind-try --ro-bind --ro-bind-try --symlink --setenv"
    local options formats="text json" takes_value="--pid --ns --mountinfo --set --format --fail-at --output -o --target -T --source -S --types -t --options -O --color --bundle --base --cap-add --chdir --unsetenv --uid --gid --info-fd --json-status-fd --keep-fd --tmpfs --dir --proc --dev --max-layout-nodes --max-layout-bytes"
    case $cmd in
        plan)
            options="--pid --ns --mountinfo --set --format --help -h $load $entries"
            formats="text json tree mermaid sarif" ;;
        apply)
            options="--pid --ns --set --undo --dry-run --fail-at --allow-shared-namespace --strict --verbose -v --format --help -h $load $entries" ;;
        run)
            options="--set --cap-add --chdir --uid --gid --new-session --info-fd --json-status-fd --keep-fd --setenv --unsetenv --clearenv --fail-at --verbose -v --timings --format --help -h $load $entries" ;;
        mounts)
            options="--pid --ns --mountinfo --target -T --source -S --types -t --options -O --output -o --list -l --raw -r --pairs -P --noheadings -n --format --color --help -h"
            formats="text json tree" ;;
        verify)
            options="--pid --ns --set --format --help -h" ;;
        rollback)
            options="--pid --ns --format --help -h" ;;
        capture)
            options="--pid --format --help -h"
            formats="yaml json" ;;
        profiles)
            options="--resolved --set --format --help -h $entries" ;;
        schema)
            options="--help -h" ;;
        cache)
            options="--format --help -h" ;;
        "oci import")
            options="--output -o --bundle --format --help -h" ;;
        "oci export")
            options="--set --base --bundle --format --help -h" ;;
        "oci hook")
            options="--set --fail-at --dry-run --format --help -h" ;;
        *)
            return ;;
    esac

    # The second value of a two-value option: `--setenv VAR VALUE` is anything, the DST of
    # `--bind SRC DST` a path inside the layout (nothing to offer).
    ((cword >= 3)) && [[ " $two " == *" ${words[cword - 2]} "* ]] && return

    # The values of mounts' own options (findmnt's): columns, types, --color.
    if [[ $cmd == mounts ]]; then
        case $opt in
            --output | -o)
                local IFS=$'\n' prefix=""
                [[ $cur == *,* ]] && prefix=${cur%,*},
                COMPREPLY=($(compgen -P "$prefix" -W "TARGET SOURCE FSTYPE OPTIONS VFS-OPTIONS FS-OPTIONS FSROOT PROPAGATION OPT-FIELDS ID PARENT MAJ:MIN" -- "${cur##*,}"))
                compopt -o nospace 2>/dev/null
                return ;;
            --types | -t)
                COMPREPLY=($(compgen -W "$(awk '{ print $NF }' /proc/filesystems 2>/dev/null)" -- "$cur"))
                return ;;
            --target | -T)
                _rootfsctl_add_files
                return ;;
            --source | -S | --options | -O)
                return ;;
            --color)
                COMPREPLY=($(compgen -W "auto always never" -- "$cur"))
                return ;;
        esac
    fi

    # The value of an option.
    case $opt in
        --pid)
            _rootfsctl_add_pids
            return ;;
        --mountinfo | --output | -o | --bind | --bind-try | --ro-bind | --ro-bind-try)
            _rootfsctl_add_files
            return ;;
        --symlink | --tmpfs | --dir | --proc | --dev | --uid | --gid | --info-fd | --json-status-fd | --keep-fd | --max-layout-nodes | --max-layout-bytes)
            return ;;
        --bundle)
            local IFS=$'\n'
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -d -- "$cur"))
            return ;;
        --base)
            _rootfsctl_add_files json
            return ;;
        --format)
            COMPREPLY=($(compgen -W "$formats" -- "$cur"))
            return ;;
        --setenv | --unsetenv)
            COMPREPLY=($(compgen -e -- "$cur"))
            return ;;
        --chdir)
            return ;;
        --cap-add)
            COMPREPLY=($(compgen -W "ALL CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_KILL CAP_SETGID CAP_SETUID CAP_SETPCAP CAP_LINUX_IMMUTABLE CAP_NET_BIND_SERVICE CAP_NET_BROADCAST CAP_NET_ADMIN CAP_NET_RAW CAP_IPC_LOCK CAP_IPC_OWNER CAP_SYS_MODULE CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE CAP_SYS_PACCT CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE CAP_SYS_RESOURCE CAP_SYS_TIME CAP_SYS_TTY_CONFIG CAP_MKNOD CAP_LEASE CAP_AUDIT_WRITE CAP_AUDIT_CONTROL CAP_SETFCAP CAP_MAC_OVERRIDE CAP_MAC_ADMIN CAP_SYSLOG CAP_WAKE_ALARM CAP_BLOCK_SUSPEND CAP_AUDIT_READ CAP_PERFMON CAP_BPF CAP_CHECKPOINT_RESTORE" -- "$cur"))
            return ;;
        --set | --fail-at)
            return ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
        return
    fi

    # Which positional argument this is: words that are neither options nor their values.
    local -a positional=()
    local i w
    for ((i = first; i < cword; i++)); do
        w=${words[i]}
        if [[ $w == "=" ]]; then
            ((i++))
        elif [[ " $two " == *" $w "* ]]; then
            ((i += 2))
        elif [[ $w == -* ]]; then
            [[ " $takes_value " == *" $w "* && ${words[i + 1]} != "=" ]] && ((i++))
        else
            positional+=("$w")
        fi
    done

    case $cmd in
        plan | apply | verify | "oci export" | "oci hook")
            ((${#positional[@]} == 0)) && _rootfsctl_add_layouts "$bin" ;;
        run)
            if ((${#positional[@]} == 0)); then
                _rootfsctl_add_layouts "$bin"
            fi ;;
        profiles)
            if ((${#positional[@]} == 0)); then
                COMPREPLY=($(compgen -W "list show" -- "$cur"))
            elif ((${#positional[@]} == 1)) && [[ ${positional[0]} == show ]]; then
                local IFS=$'\n'
                COMPREPLY=($(compgen -W "$(_rootfsctl_profile_names "$bin")" -- "$cur"))
            fi ;;
        "oci import")
            ((${#positional[@]} == 0)) && _rootfsctl_add_files json ;;
        cache)
            ((${#positional[@]} == 0)) && COMPREPLY=($(compgen -W "path stats clear" -- "$cur")) ;;
    esac
}

complete -F _rootfsctl rootfsctl
