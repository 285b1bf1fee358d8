# Sourced by the bench scripts: the table's rows (a figure, its ratio to a baseline, and the
# target it must meet).
ratio() { awk "BEGIN{printf \"%.2f\", $1 / $2}"; }
row() { # label value baseline target
	local r
	r=$(ratio "$2" "$3")
	printf '%-44s %10.0f %7s %7s %5s\n' "$1" "$2" "$r" "${4:+>= $4}" \
		"$([ -z "${4:-}" ] && echo "" || awk "BEGIN{print ($r >= $4) ? \"ok\" : \"MISS\"}")"
}
