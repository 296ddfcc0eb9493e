package catalog

import (
	"fmt"
	"strconv"
	"strings"
)

// HiveType is a parsed column type, as Glue and Athena's DDL write them:
// the primitives boolean, tinyint, smallint, int (integer), bigint, float
// (real), double, decimal(p,s), char(n), varchar(n), string, binary, date
// and timestamp, and the complex array<T>, map<K,V> and struct<name:T,...>.
type HiveType struct {
	Kind             string // the primitive's name, or "array", "map", "struct"
	Precision, Scale int    // decimal's; char's and varchar's length in Precision
	Elem             *HiveType
	Key, Value       *HiveType
	Fields           []HiveField
}

// HiveField is one field of a struct type.
type HiveField struct {
	Name string // lower case, as Hive keeps it
	Type *HiveType
}

// ParseType parses a Hive column type, in any case and spacing. A type
// Athena does not know, or that is malformed, is an error that says so.
func ParseType(s string) (*HiveType, error) {
	p := &typeParser{s: strings.ToLower(s)}
	t, err := p.typ()
	if err == nil {
		p.space()
		if p.i != len(p.s) {
			err = fmt.Errorf("unexpected %q after the type", p.s[p.i:])
		}
	}
	if err != nil {
		return nil, fmt.Errorf("type %q: %w", s, err)
	}
	return t, nil
}

type typeParser struct {
	s string
	i int
}

func (p *typeParser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *typeParser) punct(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *typeParser) expect(c byte) error {
	if !p.punct(c) {
		return fmt.Errorf("expected %q at offset %d", c, p.i)
	}
	return nil
}

// word reads a name: letters, digits and underscores.
func (p *typeParser) word() string {
	p.space()
	start := p.i
	for p.i < len(p.s) && (p.s[p.i] == '_' || 'a' <= p.s[p.i] && p.s[p.i] <= 'z' || '0' <= p.s[p.i] && p.s[p.i] <= '9') {
		p.i++
	}
	return p.s[start:p.i]
}

func (p *typeParser) number() (int, error) {
	w := p.word()
	n, err := strconv.Atoi(w)
	if err != nil {
		return 0, fmt.Errorf("expected a number, not %q", w)
	}
	return n, nil
}

// fieldName reads a struct field's name: bare, or in backticks.
func (p *typeParser) fieldName() (string, error) {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '`' {
		end := strings.IndexByte(p.s[p.i+1:], '`')
		if end < 0 {
			return "", fmt.Errorf("unterminated ` in a field name")
		}
		name := p.s[p.i+1 : p.i+1+end]
		p.i += end + 2
		return name, nil
	}
	name := p.word()
	if name == "" {
		return "", fmt.Errorf("expected a field name at offset %d", p.i)
	}
	return name, nil
}

func (p *typeParser) typ() (*HiveType, error) {
	kind := p.word()
	switch kind {
	case "integer":
		kind = "int"
	case "real":
		kind = "float"
	}
	t := &HiveType{Kind: kind}
	switch kind {
	case "boolean", "tinyint", "smallint", "int", "bigint", "float", "double", "string", "binary", "date", "timestamp":
		return t, nil
	case "decimal":
		t.Precision, t.Scale = 10, 0 // Hive's default
		if !p.punct('(') {
			return t, nil
		}
		var err error
		if t.Precision, err = p.number(); err != nil {
			return nil, err
		}
		if p.punct(',') {
			if t.Scale, err = p.number(); err != nil {
				return nil, err
			}
		}
		if err := p.expect(')'); err != nil {
			return nil, err
		}
		if t.Precision < 1 || t.Precision > 38 || t.Scale < 0 || t.Scale > t.Precision {
			return nil, fmt.Errorf("decimal(%d,%d): the precision must be 1 to 38 and the scale 0 to the precision", t.Precision, t.Scale)
		}
		return t, nil
	case "char", "varchar":
		if err := p.expect('('); err != nil {
			return nil, fmt.Errorf("%s needs a length: %w", kind, err)
		}
		n, err := p.number()
		if err != nil {
			return nil, err
		}
		if err := p.expect(')'); err != nil {
			return nil, err
		}
		max := 65535
		if kind == "char" {
			max = 255
		}
		if n < 1 || n > max {
			return nil, fmt.Errorf("%s(%d): the length must be 1 to %d", kind, n, max)
		}
		t.Precision = n
		return t, nil
	case "array":
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		var err error
		if t.Elem, err = p.typ(); err != nil {
			return nil, err
		}
		return t, p.expect('>')
	case "map":
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		var err error
		if t.Key, err = p.typ(); err != nil {
			return nil, err
		}
		if t.Key.Complex() {
			return nil, fmt.Errorf("a map's key must be a primitive type")
		}
		if err := p.expect(','); err != nil {
			return nil, err
		}
		if t.Value, err = p.typ(); err != nil {
			return nil, err
		}
		return t, p.expect('>')
	case "struct":
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for {
			name, err := p.fieldName()
			if err != nil {
				return nil, err
			}
			if seen[name] {
				return nil, fmt.Errorf("struct field %s is named twice", name)
			}
			seen[name] = true
			if err := p.expect(':'); err != nil {
				return nil, err
			}
			ft, err := p.typ()
			if err != nil {
				return nil, err
			}
			t.Fields = append(t.Fields, HiveField{Name: name, Type: ft})
			if !p.punct(',') {
				break
			}
		}
		return t, p.expect('>')
	case "":
		return nil, fmt.Errorf("expected a type name at offset %d", p.i)
	}
	return nil, fmt.Errorf("unknown type %s", kind)
}

// Complex says whether t is an array, map or struct.
func (t *HiveType) Complex() bool {
	return t.Kind == "array" || t.Kind == "map" || t.Kind == "struct"
}

// IntegerBits is the width of an integer type (tinyint 8, smallint 16,
// int 32, bigint 64), or 0 for any other type.
func (t *HiveType) IntegerBits() int {
	switch t.Kind {
	case "tinyint":
		return 8
	case "smallint":
		return 16
	case "int":
		return 32
	case "bigint":
		return 64
	}
	return 0
}

// String is t as Hive writes it: "array<struct<a:int,b:string>>".
func (t *HiveType) String() string {
	switch t.Kind {
	case "decimal":
		return fmt.Sprintf("decimal(%d,%d)", t.Precision, t.Scale)
	case "char", "varchar":
		return fmt.Sprintf("%s(%d)", t.Kind, t.Precision)
	case "array":
		return "array<" + t.Elem.String() + ">"
	case "map":
		return "map<" + t.Key.String() + "," + t.Value.String() + ">"
	case "struct":
		parts := make([]string, len(t.Fields))
		for i, f := range t.Fields {
			name := f.Name
			if strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
				name = "`" + name + "`"
			}
			parts[i] = name + ":" + f.Type.String()
		}
		return "struct<" + strings.Join(parts, ",") + ">"
	}
	return t.Kind
}

// DuckDB is the DuckDB type a view reads t as. Struct field names are
// quoted, so the result is never user text that could break out of SQL.
func (t *HiveType) DuckDB() string {
	switch t.Kind {
	case "string", "char", "varchar":
		return "VARCHAR"
	case "bigint":
		return "BIGINT"
	case "int":
		return "INTEGER"
	case "smallint":
		return "SMALLINT"
	case "tinyint":
		return "TINYINT"
	case "double":
		return "DOUBLE"
	case "float":
		return "FLOAT"
	case "boolean":
		return "BOOLEAN"
	case "timestamp":
		return "TIMESTAMP"
	case "date":
		return "DATE"
	case "binary":
		return "BLOB"
	case "decimal":
		return fmt.Sprintf("DECIMAL(%d,%d)", t.Precision, t.Scale)
	case "array":
		return t.Elem.DuckDB() + "[]"
	case "map":
		return "MAP(" + t.Key.DuckDB() + ", " + t.Value.DuckDB() + ")"
	case "struct":
		parts := make([]string, len(t.Fields))
		for i, f := range t.Fields {
			parts[i] = QuoteIdent(f.Name) + " " + f.Type.DuckDB()
		}
		return "STRUCT(" + strings.Join(parts, ", ") + ")"
	}
	return "VARCHAR"
}
