#!/bin/sh
# Installs the programs, the example config, the hosting recipes and the README under PREFIX
# (staged under DESTDIR when set), or removes exactly what installs added there.
# usage: install.sh install|uninstall [PREFIX [DESTDIR]]     (PREFIX defaults to /usr/local)
# Environment: DATA_DIR, the data_dir written into a config this install creates (default
# PREFIX/var/lib/follow, or /var/lib/follow when PREFIX is /usr).
#
# Every install adds what it put there to a manifest, PREFIX/share/follow/installed-files, and
# uninstall works from that alone, so it removes what this tree installed then, even if
# conf/hosting/ has changed since. Its lines, with paths as on the target (without DESTDIR):
#   f PATH          a file install wrote
#   c SHA256 PATH   the config, written by install with this content (an edited one is kept)
#   d PATH          a folder install created (removed by uninstall only when empty)
set -e
export LC_ALL=C
root=$(cd "$(dirname "$0")/.." && pwd)
action=${1:-}
prefix=${2:-/usr/local}
prefix=${prefix%/}
destdir=${3:-}
destdir=${destdir%/}
case $prefix in
/*|"") ;;
*) echo "install.sh: PREFIX must be an absolute path, not $prefix" >&2; exit 2 ;;
esac
manifest=$prefix/share/follow/installed-files
conf=$prefix/etc/follow/follow.conf

sha() { sha256sum < "$1" | cut -d' ' -f1; }

# Creates folder $1 (a target path) and its missing parents, noting each one below DESTDIR.
mkdirs() {
	missing="" d=$destdir$1
	while [ ! -d "$d" ]; do
		missing="$d
$missing"
		d=$(dirname "$d")
	done
	while IFS= read -r d; do
		[ -n "$d" ] || continue
		install -d -m 755 "$d"
		case $d in "$destdir"/*) echo "d ${d#"$destdir"}" >> "$new" ;; esac
	done <<EOF
$missing
EOF
}

# put MODE FILE FOLDER: installs FILE into FOLDER (a target path) under its own name.
put() {
	mkdirs "$3"
	echo "f $3/$(basename "$2")" >> "$new"
	install -m "$1" "$2" "$destdir$3/$(basename "$2")"
}

# Adds what this run noted to the manifest (also when the install failed half-way, so an
# uninstall still finds everything). A config written now replaces an earlier one's record.
save_manifest() {
	[ -d "$(dirname "$destdir$manifest")" ] || return 0
	{
		echo "# what make install added under $prefix; make uninstall removes it"
		if grep -q '^c ' "$new"; then
			grep -v '^[#c]' "$destdir$manifest" 2>/dev/null || true
		else
			grep -v '^#' "$destdir$manifest" 2>/dev/null || true
		fi
		cat "$new"
	} | sort -u > "$tmp/manifest"
	install -m 644 "$tmp/manifest" "$destdir$manifest"
}

do_install() {
	for p in follow.fcgi followctl follow-usersig; do
		[ -x "$root/cgi-bin/$p" ] || { echo "install.sh: cgi-bin/$p is missing: run make" >&2; exit 1; }
	done
	case ${DATA_DIR:-} in
	/*) data_dir=$DATA_DIR ;;
	"") data_dir=$prefix/var/lib/follow
		[ "$prefix" = /usr ] && data_dir=/var/lib/follow ;;
	*) echo "install.sh: DATA_DIR must be an absolute path" >&2; exit 2 ;;
	esac
	mkdirs "$(dirname "$manifest")"

	# The service looks for its config at ../../etc/follow/follow.conf from its own folder.
	put 755 "$root/cgi-bin/follow.fcgi" "$prefix/lib/follow"
	put 755 "$root/cgi-bin/followctl" "$prefix/bin"
	put 755 "$root/cgi-bin/follow-usersig" "$prefix/bin"
	for f in "$root"/conf/hosting/*; do
		[ -f "$f" ] || continue
		mode=644
		[ -x "$f" ] && mode=755
		put "$mode" "$f" "$prefix/share/follow/hosting"
	done
	put 644 "$root/README.md" "$prefix/share/doc/follow"

	mkdirs "$(dirname "$conf")"
	if [ -e "$destdir$conf" ]; then
		echo "install: kept the existing $destdir$conf (not overwritten)"
		return
	fi
	# The example's data_dir is relative to the repository's conf/; installed, the data lives
	# where the system keeps variable state, not beside the config.
	esc=$(printf '%s' "$data_dir" | sed 's/[\\|&]/\\&/g')
	sed -e "s|^data_dir[ 	]*=.*|data_dir = $esc|" \
		-e "s|^# relative to this file's folder\$|# set by make install; the user the service runs as must be able to write it|" \
		"$root/conf/follow.conf" > "$tmp/follow.conf"
	grep -qxF "data_dir = $data_dir" "$tmp/follow.conf" ||
		{ echo "install.sh: conf/follow.conf has no data_dir line to set" >&2; exit 1; }
	install -m 600 "$tmp/follow.conf" "$destdir$conf"
	echo "c $(sha "$destdir$conf") $conf" >> "$new"
	echo "install: wrote $destdir$conf (mode 600, data_dir = $data_dir)"
	echo "install: change its secret_key before serving anyone; give it and data_dir to the user the service runs as"
}

do_uninstall() {
	m=$destdir$manifest
	[ -f "$m" ] || { echo "uninstall: no $m, so nothing to remove" >&2; exit 1; }
	n=0
	while IFS= read -r line; do
		case $line in
		"f "*)
			f=$destdir${line#f }
			if [ -f "$f" ] || [ -L "$f" ]; then rm -f "$f"; n=$((n + 1)); fi ;;
		"c "*)
			rest=${line#c }
			sum=${rest%% *} f=$destdir${rest#* }
			[ -e "$f" ] || continue
			if [ "$(sha "$f")" = "$sum" ]; then
				rm -f "$f"
				n=$((n + 1))
			else
				echo "uninstall: kept $f: it changed since make install wrote it"
			fi ;;
		esac
	done < "$m"
	if [ -e "$destdir$conf" ] && ! grep -q '^c ' "$m"; then
		echo "uninstall: kept $destdir$conf: it was there before make install"
	fi
	dirs=$(sed -n 's/^d //p' "$m" | sort -r)
	rm -f "$m"
	# Deepest first; a folder that still holds something (a kept config, data) stays.
	printf '%s\n' "$dirs" | while IFS= read -r d; do
		[ -n "$d" ] && rmdir "$destdir$d" 2>/dev/null || true
	done
	echo "uninstall: removed $n files from $destdir$prefix"
}

case $action in
install)
	tmp=$(mktemp -d)
	new=$tmp/new
	: > "$new"
	trap 'save_manifest; rm -rf "$tmp"' EXIT
	do_install ;;
uninstall) do_uninstall ;;
*) echo "usage: install.sh install|uninstall [PREFIX [DESTDIR]]" >&2; exit 2 ;;
esac
