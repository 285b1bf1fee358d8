#!/bin/sh
# Prints the -s argument that makes multiwatch stop follow.fcgi with a signal it handles (SIGINT
# or SIGTERM: it finishes its call and closes the database). Debian 12's multiwatch 1.0.0 sends
# the position of -s's name in its table (HUP 0, INT 1, QUIT 2, ...) instead of the signal, so
# there "QUIT" arrives as SIGINT; 1.0.1 fixed that (upstream commit bdd50b7).
case $(multiwatch -v 2>&1) in
*" v1.0.0 "*) echo QUIT ;;
*) echo TERM ;;
esac
