package emulate

// Trino's time with time zone keeps its offset and prints it
// (10:00:00.000+02:00); DuckDB drops the offset of a TIME literal and
// shifts a cast to TIMETZ to UTC. The one such value the emulator answers
// is current_time, in the session's zone, UTC as in Athena: printed with
// +00:00. Literals and casts with another offset are refused.

import "fmt"

// timeZoneCast refuses a time literal or cast with an offset and a cast to
// time with time zone (pass 1).
func timeZoneCast(n astNode) error {
	switch str(at(n, "cast_type", "id")) {
	case "TIME WITH TIME ZONE", "TIMETZ":
		return &errSQL{"NOT_SUPPORTED: a cast to time with time zone answers differently here than in Athena (Trino keeps the offset, DuckDB shifts it to UTC): use time"}
	case "TIME":
		if v, ok := constantString(n["child"]); ok && zonedTimestamp.MatchString(v) {
			return &errSQL{fmt.Sprintf("NOT_SUPPORTED: a time with a time zone (%s) answers differently here than in Athena (Trino keeps the offset, DuckDB drops it): give the time without an offset", v)}
		}
	}
	return nil
}

// timeWithZoneText is how Athena prints a time with time zone that DuckDB
// gives as UTC text (15:04:05.000).
func timeWithZoneText(s string) string { return s + "+00:00" }
