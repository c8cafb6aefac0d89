# jailnet: what every apply program shares (sourced first, before its target's steps). POSIX sh.
#
# Environment (set by the deploy agent; every one has a harmless default, so a library load needs none):
#   JAILNET_UNDO      the undo journal: the command reversing each action, one quoted line each
#   JAILNET_CHANGED   the managed files this deploy rewrote (or, in a plan, would rewrite), a path a line
#   JAILNET_DRYRUN=1  a plan: steps look at the live state and say what they would do; nothing changes
#   JAILNET_WANTED    (written) the identity of every object this bundle wants, one a line
#   JAILNET_CREATED   (written) "IDENTITY<TAB>ENSURE-CALL" of every object this apply created
#   JAILNET_PREVIOUS  the ledger of the host's current deploy: objects the app created, same format
#   JAILNET_LEDGER    (written by reconcile) the ledger this deploy commits
#   JAILNET_ADOPT=1   every wanted object counts as the app's own (the lab: its hosts are built by jailnet)
#
# Objects are what a step makes exist (an interface, an address, a bridge membership, a route, a running
# jail ...). A step claims its object ("claim N FUNCTION ARGS": the first N arguments identify it) and marks
# it "mine" when it created it. reconcile, the last step, removes the objects of the previous ledger that this
# bundle no longer wants, in reverse creation order, with "drop_FUNCTION IDENTITY" (0: removed, 1: already
# gone, 2: failed), and writes the new ledger.
# Only objects the app created are ever removed; what was on the host before stays.

set -u

# run COMMAND...: a command that changes the host; a plan (JAILNET_DRYRUN=1) skips it.
run() {
    [ "${JAILNET_DRYRUN:-0}" = 1 ] && return 0
    "$@"
}

changed() {
    printf '@@changed %s\n' "$*"
}

# quote WORD...: sets QUOTED to the words quoted for sh's eval, on one line (no process unless a word holds
# a single quote).
quote() {
    QUOTED=""
    for word in "$@"; do
        case $word in
        *"'"*) word=$(printf '%s' "$word" | sed "s/'/'\\\\''/g") ;;
        esac
        QUOTED="$QUOTED${QUOTED:+ }'$word'"
    done
}

undo() {
    quote "$@"
    printf '%s\n' "$QUOTED" >>"${JAILNET_UNDO:-/dev/null}"
}

file_changed() {
    grep -qxF -- "$1" "${JAILNET_CHANGED:-/dev/null}" 2>/dev/null
}

# claim N FUNCTION ARG...: this bundle wants the object FUNCTION's first N arguments identify.
claim() {
    count=$1
    shift
    quote "$@"
    claimed_call=$QUOTED
    claimed_id=""
    for word in "$@"; do
        [ "$count" -lt 0 ] && break
        quote "$word"
        claimed_id="$claimed_id${claimed_id:+ }$QUOTED"
        count=$((count - 1))
    done
    printf '%s\n' "$claimed_id" >>"${JAILNET_WANTED:-/dev/null}"
    if [ "${JAILNET_ADOPT:-0}" = 1 ]; then
        mine
    fi
}

# mine: the object claimed last was created by this apply; it is the app's (removed when a bundle drops it).
mine() {
    printf '%s\t%s\n' "$claimed_id" "$claimed_call" >>"${JAILNET_CREATED:-/dev/null}"
}

drop() {
    kind=$1
    shift
    "drop_$kind" "$@"
}

# reconcile: remove what the previous ledger has and this bundle no longer wants (newest first; a removal's
# undo is the call that created it), then write the ledger: previous objects still wanted, then new ones.
reconcile() {
    previous=${JAILNET_PREVIOUS:-/dev/null}
    wanted=${JAILNET_WANTED:-/dev/null}
    created=${JAILNET_CREATED:-/dev/null}
    work=${JAILNET_DIR:-/tmp}/reconcile.$$
    [ -e "$previous" ] || previous=/dev/null
    [ -e "$wanted" ] || : >"$wanted"
    [ -e "$created" ] || : >"$created"
    if [ -s "$previous" ]; then
        awk -F '\t' 'FILENAME == ARGV[1] { want[$0] = 1; next } !($1 in want) { line[++n] = $0 }
            END { for (i = n; i > 0; i--) print line[i] }' "$wanted" "$previous" >"$work.drop"
        while IFS= read -r entry <&3; do
            dropped=0
            eval "drop ${entry%%"	"*}" || dropped=$?
            case $dropped in
            0) printf '%s\n' "${entry#*"	"}" >>"${JAILNET_UNDO:-/dev/null}" ;;
            1) ;; # already gone
            *) return 1 ;;
            esac
        done 3<"$work.drop"
        rm -f "$work.drop"
    fi
    if [ -n "${JAILNET_LEDGER:-}" ]; then
        awk -F '\t' 'FILENAME == ARGV[1] { want[$0] = 1; next }
            FILENAME == ARGV[2] && !($1 in want) { next }
            !seen[$1]++' "$wanted" "$previous" "$created" >"$JAILNET_LEDGER.tmp"
        mv -f "$JAILNET_LEDGER.tmp" "$JAILNET_LEDGER"
    fi
}
