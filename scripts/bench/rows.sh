# Sourced by the bench scripts: the table's rows (a figure, its ratio to a baseline, and the
# target it must meet).
ratio() { awk "BEGIN{printf \"%.2f\", $1 / $2}"; }
# ok or MISS for a ratio against a target; nothing without a target.
verdict() { [ -z "${2:-}" ] || awk "BEGIN{print ($1 >= $2) ? \"ok\" : \"MISS\"}"; }
row() { # label value baseline target
	local r
	r=$(ratio "$2" "$3")
	printf '%-44s %10.0f %7s %7s %5s\n' "$1" "$2" "$r" "${4:+>= $4}" "$(verdict "$r" "${4:-}")"
}
# The median of the numbers given as arguments.
median() {
	printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}
# Rounds: label, the figure's requests/s round by round, the baseline's in the same rounds, target.
# The ratio is the median of the rounds' own ratios, with their range beside the verdict.
mrow() {
	local -a v=($2) b=($3) rs=()
	local i r
	for i in "${!v[@]}"; do rs+=("$(awk "BEGIN{print ${v[$i]} / ${b[$i]}}")"); done
	rs=($(printf '%s\n' "${rs[@]}" | sort -g))
	r=$(ratio "$(median "${rs[@]}")" 1)
	printf '%-44s %10.0f %7s %7s %5s  %s\n' "$1" "$(median "${v[@]}")" "$r" "${4:+>= $4}" \
		"$(verdict "$r" "${4:-}")" \
		"rounds $(ratio "${rs[0]}" 1)-$(ratio "${rs[${#rs[@]} - 1]}" 1)"
}
