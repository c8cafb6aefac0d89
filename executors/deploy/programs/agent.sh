#!/bin/sh
# jailnet deploy agent: the host's side of one deploy, pushed with the bundle into the deploy's directory.
#
#   agent.sh apply ROOT ID SECONDS   lock the host, check the staged bundle, back up every file it replaces,
#                                     arm the dead-man rollback (SECONDS), install the files and converge
#   agent.sh commit ROOT ID           (over a NEW connection) disarm, record the bundle as current, unlock
#   agent.sh rollback ROOT ID         restore the backup, undo what the apply did, unlock
#   agent.sh status ROOT ID           the deploy's state on this host
#   agent.sh plan ROOT ID [ADDRESS]   what the apply would do here, as "@@plan WHAT" lines; changes nothing
#                                     (with ADDRESS: "@@address ADDRESS INTERFACE", where the host has it)
#   agent.sh timer ROOT ID SECONDS    (internal) the detached timer: rolls back unless disarmed in time
#
# ROOT is jailnet's directory on the host (/var/db/jailnet on FreeBSD); the deploy lives in ROOT/deploys/ID:
# apply.sh, manifest ("N MODE OWNER PATH" a line), files/N, checks.sh, digest. What the app manages on the host
# is in ROOT/managed: "files" (the paths the current deploy installed) and "objects" (the ledger of objects the
# app created: interfaces, addresses, members, routes, started jails ...), both replaced by a commit; ROOT/
# originals keeps each path's content from before the app first wrote it ("N PATH" in its index; N or N.absent),
# so a file a new bundle drops is put back as it was, or removed when it did not exist. Progress is printed as
# "@@step NAME" lines, actions as "@@changed WHAT". Exit status: 0 done, 2 check failed (nothing applied),
# 3 apply failed and rolled back, 4 rollback failed, 5 not armed any more (already rolled back), 6 the apply
# outlasted the dead-man timer, which stopped it and rolled back, 75 another deploy holds the host. POSIX sh
# (FreeBSD sh, dash); checked with shellcheck -s sh and dash -n.

set -u
umask 077
# A lost connection must not kill the agent halfway: with its session gone, a write to the closed channel would
# raise SIGPIPE, for instance at the first line of the rollback of an apply that failed writing to it, after the
# rollback had taken the timer's place (nothing restored, nothing left to restore). Writes fail instead, and the
# agent (and the apply program, the checks and the timer it starts) runs to its end.
trap '' PIPE

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

# removed_files OUT: "N PATH" of the files the current deploy installed that this bundle no longer has.
removed_files() {
    : >"$1"
    [ -s "$root/managed/files" ] || return 0
    awk 'FILENAME == ARGV[1] { have[$4] = 1; next } !($0 in have) { print "r" ++n, $0 }' \
        "$dir/manifest" "$root/managed/files" >"$1"
}

# keep_originals: before the app first writes a path, keep what was there (or that nothing was).
keep_originals() {
    mkdir -p "$root/originals"
    touch "$root/originals/index"
    next=$(wc -l <"$root/originals/index")
    while read -r _n _mode _owner path; do
        grep -qxF -- "$path" "$root/originals/paths" 2>/dev/null && continue
        next=$((next + 1))
        if [ -e "$path" ]; then
            cp -p "$path" "$root/originals/$next" || return 1
        else
            : >"$root/originals/$next.absent"
        fi
        printf '%s %s\n' "$next" "$path" >>"$root/originals/index"
        printf '%s\n' "$path" >>"$root/originals/paths"
    done <"$dir/manifest"
}

original_of() {
    awk -v path="$1" '{ n = $1; sub(/^[^ ]* /, "") } $0 == path { print n; exit }' "$root/originals/index" 2>/dev/null
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
    removed_files "$dir/removed"
    while read -r n path; do
        if [ -e "$path" ]; then
            cp -p "$path" "$dir/backup/$n" || return 1
        else
            : >"$dir/backup/$n.absent"
        fi
    done <"$dir/removed"
    keep_originals
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
        still_armed || return 1
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
    remove_files
}

# remove_files: the files of the previous deploy this bundle dropped go back to what the host had before the
# app wrote them: restored from the original, or removed when there was none.
remove_files() {
    while read -r _n path; do
        n=$(original_of "$path")
        if [ -n "$n" ] && [ -e "$root/originals/$n" ]; then
            cmp -s "$root/originals/$n" "$path" && continue
            tmp="$(dirname "$path")/.$(basename "$path").jailnet-restore"
            { cp -p "$root/originals/$n" "$tmp" && mv -f "$tmp" "$path"; } || return 1
            printf '@@changed file %s restored as it was before jailnet\n' "$path"
        elif [ -e "$path" ]; then
            rm -f "$path" || return 1
            printf '@@changed file %s removed\n' "$path"
        fi
        printf '%s\n' "$path" >>"$dir/changed-files"
    done <"$dir/removed"
}

converge() {
    : >"$dir/undo.journal"
    : >"$dir/objects.wanted"
    : >"$dir/objects.created"
    JAILNET_UNDO="$dir/undo.journal" JAILNET_CHANGED="$dir/changed-files" JAILNET_DIR="$dir" \
        JAILNET_WANTED="$dir/objects.wanted" JAILNET_CREATED="$dir/objects.created" \
        JAILNET_PREVIOUS="$root/managed/objects" JAILNET_LEDGER="$dir/objects" sh "$dir/apply.sh"
}

# still_armed: false once the timer (or anyone) took the right to roll back: the apply must write nothing more.
still_armed() {
    [ -e "$dir/armed" ] && return 0
    echo "the dead-man timer fired: the apply stops here"
    return 1
}

# run_apply: install the files and converge, as its own process whose pid is recorded in apply.pid, so that a timer
# firing while the apply still runs stops it (and everything it started) before it restores the host. It records
# "applied" itself: a timer that fires later still finds it and rolls back after it.
run_apply() {
    (
        install_files && still_armed && converge && still_armed && set_status applied
    ) &
    worker=$!
    printf '%s\n' "$worker" >"$dir/apply.pid"
    wait "$worker"
    worked=$?
    rm -f "$dir/apply.pid"
    return "$worked"
}

# process_tree PID: PID and every process descended from it, one a line (ps -A -o pid= -o ppid=: POSIX, and
# FreeBSD's ps has both).
process_tree() {
    ps -A -o pid= -o ppid= 2>/dev/null | awk -v root="$1" '{ parent[$1] = $2 } END {
        tree[root] = 1
        do {
            more = 0
            for (p in parent) if (!(p in tree) && (parent[p] in tree)) { tree[p] = 1; more = 1 }
        } while (more)
        for (p in tree) print p }' | sort -n
}

# stop_apply: stop the running apply, if any, with everything it started, and wait until it is gone. The tree is
# frozen first (SIGSTOP: a stopped process starts nothing, and none of its children is left orphaned), until it
# no longer grows, then killed whole (SIGKILL: no trap runs, nothing more is written).
stop_apply() {
    apply_pid=$(cat "$dir/apply.pid" 2>/dev/null || echo "")
    [ -n "$apply_pid" ] || return 0
    waited=0
    while kill -0 "$apply_pid" 2>/dev/null && [ "$waited" -lt 30 ]; do
        tree=""
        while :; do
            now=$(process_tree "$apply_pid" | tr '\n' ' ')
            [ "$now" = "$tree" ] && break
            tree=$now
            # shellcheck disable=SC2086 # a list of pids
            kill -STOP $tree 2>/dev/null
        done
        step stop-apply "$tree"
        # shellcheck disable=SC2086 # a list of pids
        kill -KILL $tree 2>/dev/null
        sleep 1
        waited=$((waited + 1))
    done
}

# plan: the apply's steps against the live state with every change skipped; what they would do, as @@plan.
plan() {
    work="$dir/plan"
    rm -rf "$work"
    mkdir -p "$work"
    : >"$work/changed-files"
    while read -r n _mode _owner path; do
        if [ -f "$path" ] && cmp -s "$dir/files/$n" "$path"; then
            continue
        fi
        printf '%s\n' "$path" >>"$work/changed-files"
        printf '@@plan file %s\n' "$path"
    done <"$dir/manifest"
    removed_files "$work/removed"
    while read -r _n path; do
        n=$(original_of "$path")
        if [ -n "$n" ] && [ -e "$root/originals/$n" ]; then
            cmp -s "$root/originals/$n" "$path" || printf '@@plan file %s restored as it was before jailnet\n' "$path"
        elif [ -e "$path" ]; then
            printf '@@plan file %s removed\n' "$path"
        fi
        printf '%s\n' "$path" >>"$work/changed-files"
    done <"$work/removed"
    JAILNET_DRYRUN=1 JAILNET_UNDO=/dev/null JAILNET_CHANGED="$work/changed-files" JAILNET_DIR="$work" \
        JAILNET_WANTED="$work/objects.wanted" JAILNET_CREATED=/dev/null \
        JAILNET_PREVIOUS="$root/managed/objects" sh "$dir/apply.sh" >"$work/out" 2>"$work/err"
    status=$?
    sed -n 's/^@@changed /@@plan /p' "$work/out"
    cat "$work/err" >&2
    return "$status"
}

# address_interface ADDRESS: the interface that holds ADDRESS (ip on Linux, ifconfig on FreeBSD).
address_interface() {
    if command -v ip >/dev/null 2>&1; then
        ip -o -4 addr show 2>/dev/null | awk -v a="$1" '{ split($4, p, "/") } p[1] == a { print $2; exit }'
    else
        ifconfig -a 2>/dev/null | awk -v a="$1" '/^[^ \t]/ { sub(/:.*/, "", $1); name = $1 }
            $1 == "inet" && $2 == a { print name; exit }'
    fi
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
    while read -r n path; do
        if [ -e "$dir/backup/$n.absent" ]; then
            rm -f "$path" || failed=1
        elif [ -e "$dir/backup/$n" ]; then
            tmp="$(dirname "$path")/.$(basename "$path").jailnet-restore"
            { cp -p "$dir/backup/$n" "$tmp" && mv -f "$tmp" "$path"; } || failed=1
        fi
    done <"$dir/removed"
    if [ -s "$dir/undo.journal" ]; then
        awk '{ line[NR] = $0 } END { for (i = NR; i > 0; i--) print line[i] }' "$dir/undo.journal" >"$dir/undo.reversed"
        (
            export JAILNET_MODE=library JAILNET_UNDO=/dev/null JAILNET_CHANGED="$dir/changed-files" JAILNET_DIR="$dir"
            export JAILNET_WANTED=/dev/null JAILNET_CREATED=/dev/null JAILNET_PREVIOUS=/dev/null
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

# fire: take the right to roll back. The rename is atomic: one of commit, the controller's rollback, the failed
# apply and the timer wins. The winner records its pid, so that the timer can finish a rollback whose process
# died on the way (see finish_rollback).
fire() {
    mv "$dir/armed" "$dir/firing" 2>/dev/null || return 1
    printf 'pid %s\n' "$$" >"$dir/firing"
}

# rollback_and_disarm WHY: roll back, then disarm the timer: it stays armed as the backstop until the rollback
# has ended, so a rollback killed halfway is finished by the timer.
rollback_and_disarm() {
    rollback_now "$1"
    rolled=$?
    disarm_timer
    return "$rolled"
}

# finish_rollback WHY (the timer, or an apply the timer stopped: they lost the race to fire): wait for the
# rollback that won it to end; when its process died before it ended, finish it here.
finish_rollback() {
    [ -e "$dir/firing" ] || return 0
    unnamed=0
    while :; do
        case $(status_of "$dir") in
        rolled-back | rollback-failed | committed) return 0 ;;
        esac
        owner=$(sed -n 's/^pid //p' "$dir/firing" 2>/dev/null)
        if [ -n "$owner" ]; then
            kill -0 "$owner" 2>/dev/null || break
        else # the winner has not written its pid yet, or died before it could
            unnamed=$((unnamed + 1))
            [ "$unnamed" -le 5 ] || break
        fi
        sleep 1
    done
    rollback_now "$1"
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
    if run_apply; then
        step applied
        exit 0
    fi
    if fire; then
        rollback_and_disarm "apply failed" || exit 4
        exit 3
    fi
    # The timer fired while the apply ran: it stopped the apply, and restores the host. Say how that ended.
    finish_rollback "the apply outlasted the dead-man timer ($seconds s)"
    case $(status_of "$dir") in
    rolled-back) exit 6 ;;
    esac
    exit 4
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
    # what the app manages from now on, replaced with the commit: this bundle's files and its ledger
    mkdir -p "$root/managed"
    awk '{ sub(/^[^ ]* [^ ]* [^ ]* /, ""); print }' "$dir/manifest" >"$root/managed/files.tmp"
    cp "$dir/objects" "$root/managed/objects.tmp" 2>/dev/null || : >"$root/managed/objects.tmp"
    mv -f "$root/managed/files.tmp" "$root/managed/files"
    mv -f "$root/managed/objects.tmp" "$root/managed/objects"
    cp "$dir/digest" "$root/current.tmp" && mv -f "$root/current.tmp" "$root/current"
    set_status committed
    unlock
    step committed
    ;;
rollback)
    if fire; then
        rollback_and_disarm "asked by the controller" || exit 4
    else
        step "not armed: $(status_of "$dir")"
    fi
    ;;
timer)
    # The sleep runs as a child we wait for, so that disarming (TERM to this shell, whose pid was recorded) ends
    # the sleep too instead of leaving it behind until the time is up.
    sleeper=""
    trap 'if [ -n "$sleeper" ]; then kill "$sleeper" 2>/dev/null; fi; exit 0' TERM
    sleep "$4" &
    sleeper=$!
    wait "$sleeper"
    if fire; then
        stop_apply
        rollback_now "not confirmed within $4 s" || exit 4
    else
        finish_rollback "not confirmed within $4 s (the rollback that began did not end)" || exit 4
    fi
    ;;
status)
    status_of "$dir"
    ;;
plan)
    [ -d "$dir" ] || {
        echo "deploy $id is not staged on this host"
        exit 2
    }
    if [ -n "${4:-}" ]; then
        printf '@@address %s %s\n' "$4" "$(address_interface "$4")"
    fi
    plan || exit 3
    ;;
*)
    echo "unknown command $command"
    exit 64
    ;;
esac
