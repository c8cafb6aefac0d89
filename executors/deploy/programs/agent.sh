#!/bin/sh
# jailnet deploy agent: the host's side of one deploy, pushed with the bundle into the deploy's directory.
#
#   agent.sh apply ROOT ID SECONDS   lock the host, check the staged bundle, back up every file it replaces,
#                                     arm the dead-man rollback (SECONDS), install the files and converge
#   agent.sh commit ROOT ID           (over a NEW connection) disarm, record the bundle as current, unlock
#   agent.sh rollback ROOT ID         restore the backup, undo what the apply did, unlock
#   agent.sh status ROOT ID           the deploy's state on this host
#   agent.sh timer ROOT ID SECONDS    (internal) the detached timer: rolls back unless disarmed in time
#
# ROOT is jailnet's directory on the host (/var/db/jailnet on FreeBSD); the deploy lives in ROOT/deploys/ID:
# apply.sh, manifest ("N MODE OWNER PATH" a line), files/N, checks.sh, digest. Progress is printed as
# "@@step NAME" lines, actions as "@@changed WHAT". Exit status: 0 done, 2 check failed (nothing applied),
# 3 apply failed and rolled back, 4 rollback failed, 5 not armed any more (already rolled back), 75 another
# deploy holds the host. POSIX sh (FreeBSD sh, dash); checked with shellcheck -s sh and dash -n.

set -u
umask 077

command=$1
root=$2
id=$3
dir="$root/deploys/$id"
agent="$dir/agent.sh"

step() {
    printf '@@step %s\n' "$*"
}

set_status() {
    printf '%s\n' "$1" >"$dir/status.tmp" && mv -f "$dir/status.tmp" "$dir/status"
}

status_of() {
    cat "$1/status" 2>/dev/null || echo absent
}

# The per-host lock: a directory created atomically; a lock whose holder finished (or vanished) is stale.
lock() {
    if mkdir "$root/lock" 2>/dev/null; then
        printf '%s\n' "$id" >"$root/lock/id"
        return 0
    fi
    holder=$(cat "$root/lock/id" 2>/dev/null || echo "")
    [ "$holder" = "$id" ] && return 0
    case $(status_of "$root/deploys/$holder") in
    committed | rolled-back | failed | absent)
        rm -rf "$root/lock"
        mkdir "$root/lock" && printf '%s\n' "$id" >"$root/lock/id" && return 0
        ;;
    esac
    printf 'host busy: deploy %s holds it (%s)\n' "$holder" "$(status_of "$root/deploys/$holder")"
    exit 75
}

unlock() {
    if [ "$(cat "$root/lock/id" 2>/dev/null)" = "$id" ]; then
        rm -rf "$root/lock"
    fi
}

check() {
    step check
    if ! sh "$dir/checks.sh"; then
        set_status failed
        unlock
        echo "the bundle's checks failed: nothing was applied"
        exit 2
    fi
}

backup() {
    step backup
    mkdir -p "$dir/backup"
    while read -r n _mode _owner path; do
        if [ -e "$path" ]; then
            cp -p "$path" "$dir/backup/$n" || return 1
        else
            : >"$dir/backup/$n.absent"
        fi
    done <"$dir/manifest"
}

arm() {
    step arm "$1"
    printf '%s\n' "$1" >"$dir/armed"
    if [ "$(uname -s)" = FreeBSD ]; then
        daemon -f -p "$dir/timer.pid" sh "$agent" timer "$root" "$id" "$1"
    else
        setsid sh "$agent" timer "$root" "$id" "$1" </dev/null >>"$dir/timer.log" 2>&1 &
        printf '%s\n' "$!" >"$dir/timer.pid"
    fi
}

install_files() {
    : >"$dir/changed-files"
    while read -r n mode owner path; do
        if [ -f "$path" ] && cmp -s "$dir/files/$n" "$path"; then
            continue
        fi
        parent=$(dirname "$path")
        mkdir -p "$parent"
        tmp="$parent/.$(basename "$path").jailnet-new"
        if ! { cp "$dir/files/$n" "$tmp" && chmod "$mode" "$tmp" && chown "$owner" "$tmp" && mv -f "$tmp" "$path"; }; then
            rm -f "$tmp"
            return 1
        fi
        printf '%s\n' "$path" >>"$dir/changed-files"
        printf '@@changed file %s\n' "$path"
    done <"$dir/manifest"
}

converge() {
    : >"$dir/undo.journal"
    JAILNET_UNDO="$dir/undo.journal" JAILNET_CHANGED="$dir/changed-files" JAILNET_DIR="$dir" sh "$dir/apply.sh"
}

# Restore every backed-up file, then run the undo journal backwards (with the apply program's library).
rollback_now() {
    step rollback "$1"
    failed=0
    while read -r n _mode _owner path; do
        if [ -e "$dir/backup/$n.absent" ]; then
            rm -f "$path" || failed=1
        elif [ -e "$dir/backup/$n" ]; then
            tmp="$(dirname "$path")/.$(basename "$path").jailnet-restore"
            { cp -p "$dir/backup/$n" "$tmp" && mv -f "$tmp" "$path"; } || failed=1
        fi
    done <"$dir/manifest"
    if [ -s "$dir/undo.journal" ]; then
        awk '{ line[NR] = $0 } END { for (i = NR; i > 0; i--) print line[i] }' "$dir/undo.journal" >"$dir/undo.reversed"
        (
            export JAILNET_MODE=library JAILNET_UNDO=/dev/null JAILNET_CHANGED="$dir/changed-files" JAILNET_DIR="$dir"
            # shellcheck disable=SC1091 # the deploy's own apply program, staged at run time
            . "$dir/apply.sh"
            while read -r undo_line; do
                eval "$undo_line" || printf 'undo failed: %s\n' "$undo_line"
            done <"$dir/undo.reversed"
        ) || failed=1
    fi
    if [ "$failed" = 0 ]; then
        set_status rolled-back
        unlock
        step rolled-back
        return 0
    fi
    set_status rollback-failed
    step rollback-failed
    return 1
}

disarm_timer() {
    pid=$(cat "$dir/timer.pid" 2>/dev/null || echo "")
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    rm -f "$dir/timer.pid"
}

case $command in
apply)
    seconds=$4
    [ -d "$dir" ] || {
        echo "deploy $id is not staged on this host"
        exit 2
    }
    lock
    case $(status_of "$dir") in
    committed | applied)
        step already "$(status_of "$dir")"
        exit 0
        ;;
    esac
    check
    backup || {
        set_status failed
        unlock
        echo "backing up the files to replace failed: nothing was applied"
        exit 2
    }
    arm "$seconds"
    set_status applying
    step apply
    if install_files && converge; then
        set_status applied
        step applied
        exit 0
    fi
    if mv "$dir/armed" "$dir/firing" 2>/dev/null; then
        disarm_timer
        rollback_now "apply failed" || exit 4
    fi
    exit 3
    ;;
commit)
    step confirm
    case $(status_of "$dir") in
    committed)
        step committed
        exit 0
        ;;
    applied) ;;
    *)
        printf 'deploy %s is %s on this host, not applied\n' "$id" "$(status_of "$dir")"
        exit 5
        ;;
    esac
    if ! mv "$dir/armed" "$dir/disarmed" 2>/dev/null; then
        echo "the dead-man timer already fired: the host rolled back"
        exit 5
    fi
    disarm_timer
    cp "$dir/digest" "$root/current.tmp" && mv -f "$root/current.tmp" "$root/current"
    set_status committed
    unlock
    step committed
    ;;
rollback)
    if mv "$dir/armed" "$dir/firing" 2>/dev/null; then
        disarm_timer
        rollback_now "asked by the controller" || exit 4
    else
        step "not armed: $(status_of "$dir")"
    fi
    ;;
timer)
    sleep "$4"
    if mv "$dir/armed" "$dir/firing" 2>/dev/null; then
        rollback_now "not confirmed within $4 s" || exit 4
    fi
    ;;
status)
    status_of "$dir"
    ;;
*)
    echo "unknown command $command"
    exit 64
    ;;
esac
