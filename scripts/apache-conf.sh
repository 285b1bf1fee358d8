#!/bin/sh
# Prints a self-contained Apache 2.4 config that hosts follow.fcgi through mod_fcgid (Debian
# apache2 + libapache2-mod-fcgid); the Apache test and the README's example use it.
# usage: apache-conf.sh ROOT RUNDIR PORT CONF
# Environment: FOLLOW_FCGI and SANITIZER_LOG as for lighttpd-conf.sh.
set -e
root=$1 rundir=$2 port=$3 conf=$4
fcgi=${FOLLOW_FCGI:-$root/cgi-bin/follow.fcgi}
mods=/usr/lib/apache2/modules
mkdir -p "$rundir/www"
cat <<CONF
ServerRoot "$rundir"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$rundir/apache.pid"
ErrorLog "$rundir/error.log"
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule alias_module $mods/mod_alias.so

LoadModule mime_module $mods/mod_mime.so
TypesConfig /dev/null
LoadModule fcgid_module $mods/mod_fcgid.so
DocumentRoot "$rundir/www"
FcgidIPCDir "$rundir/fcgid"
FcgidProcessTableFile "$rundir/fcgid.shm"
# The service answers an oversized body itself (60002); let it through to do so.
FcgidMaxRequestLen 1073741824
FcgidMaxProcessesPerClass 4
FcgidInitialEnv FOLLOW_CONF "$conf"
$( [ -n "${SANITIZER_LOG:-}" ] && echo "FcgidInitialEnv ASAN_OPTIONS log_path=$SANITIZER_LOG/asan:detect_leaks=1" )
$( [ -n "${SANITIZER_LOG:-}" ] && echo "FcgidInitialEnv UBSAN_OPTIONS log_path=$SANITIZER_LOG/ubsan:print_stacktrace=1" )
# /v4/<service>/<command> arrives as SCRIPT_NAME=/v4 and PATH_INFO=/<service>/<command>.
ScriptAlias /v4 "$fcgi"
<Directory "$(dirname "$fcgi")">
    SetHandler fcgid-script
    Options +ExecCGI
    Require all granted
</Directory>
CONF
