// Command thrifttransplant moves the Thrift compiler's generated Read and
// Write methods onto the protobuf types of the same name, so that one set of
// Go types serves every codec and the Thrift codec runs the compiler's own
// code, not a reflection bridge.
//
// For each struct of the -thrift file that -proto also declares (the Thrift
// Go generator appends "_" to some names, such as Args_), it copies Read,
// Write, ReadFieldN and writeFieldN, renames the fields they touch by field
// id (the thrift:"name,id" and protobuf:"kind,id,..." struct tags), renames
// ReadFieldN and writeFieldN to thriftReadFieldN and thriftWriteFieldN so
// that they stay out of the protobuf types' API, and writes the result to -o.
//
//	go run ./scripts/thrifttransplant -thrift service/thriftgen/rpcbench.go -proto service/rpcbench.pb.go -o service/rpcbench_thrift.go
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	thriftFile := flag.String("thrift", "", "the Thrift compiler's Go output")
	protoFile := flag.String("proto", "", "protoc-gen-go's output declaring the target types")
	out := flag.String("o", "", "file to write")
	flag.Parse()
	if *thriftFile == "" || *protoFile == "" || *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: thrifttransplant -thrift FILE -proto FILE -o FILE")
		os.Exit(2)
	}
	src, err := transplant(*thriftFile, *protoFile)
	if err == nil {
		err = os.WriteFile(*out, src, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "thrifttransplant:", err)
		os.Exit(1)
	}
}

// fieldMethod matches the per-field helpers the Thrift compiler generates.
var fieldMethod = regexp.MustCompile(`^(ReadField|writeField)(\d+)$`)

// newMethodName returns the name a transplanted method takes, or "" for a
// method that is not transplanted (Equals, String, getters, ...).
func newMethodName(name string) string {
	switch name {
	case "Read", "Write":
		return name
	}
	m := fieldMethod.FindStringSubmatch(name)
	if m == nil {
		return ""
	}
	return "thrift" + strings.ToUpper(m[1][:1]) + m[1][1:] + m[2]
}

// target is one protobuf type receiving methods.
type target struct {
	name    string
	fields  map[string]string // thrift Go field name -> protobuf Go field name
	convert map[string]string // protobuf Go field name -> its unsigned type, for fields Thrift reads signed
}

func transplant(thriftFile, protoFile string) ([]byte, error) {
	fset := token.NewFileSet()
	tf, err := parser.ParseFile(fset, thriftFile, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	pf, err := parser.ParseFile(fset, protoFile, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	protoIDs := structFieldIDs(pf, "protobuf")
	unsigned := unsignedFields(pf)
	targets := make(map[string]*target) // by thrift type name
	for name, ids := range structFieldIDs(tf, "thrift") {
		pname := strings.TrimSuffix(name, "_")
		pids, ok := protoIDs[pname]
		if !ok {
			continue // a service's args/result wrapper: Thrift-only
		}
		t := &target{name: pname, fields: make(map[string]string), convert: unsigned[pname]}
		for id, field := range ids {
			pfield, ok := pids[id]
			if !ok {
				return nil, fmt.Errorf("%s.%s has field id %d, which %s lacks", name, field, id, pname)
			}
			t.fields[field] = pfield
		}
		targets[name] = t
	}
	if len(targets) == 0 {
		return nil, fmt.Errorf("no struct of %s is declared in %s", thriftFile, protoFile)
	}

	var decls []*ast.FuncDecl
	var origins []string // the thrift type of each of decls
	var moved []string   // protobuf type names, in source order
	for _, d := range tf.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv == nil {
			continue
		}
		recvType, recvName := receiver(fn)
		t, ok := targets[recvType]
		if !ok {
			continue
		}
		name := newMethodName(fn.Name.Name)
		if name == "" {
			continue
		}
		if err := rewrite(fn, recvName, t, targets); err != nil {
			return nil, fmt.Errorf("%s.%s: %w", recvType, fn.Name.Name, err)
		}
		fn.Name.Name = name
		fn.Doc = nil
		decls = append(decls, fn)
		origins = append(origins, recvType)
		if !slices.Contains(moved, t.name) {
			moved = append(moved, t.name)
		}
	}
	return render(fset, tf, pf.Name.Name, moved, decls, origins)
}

// structFieldIDs maps each struct type declared in f to its fields by the
// id in their struct tag key: the second comma-separated value in both
// thrift:"a,1" and protobuf:"varint,1,opt,name=a,proto3".
func structFieldIDs(f *ast.File, key string) map[string]map[int]string {
	types := make(map[string]map[int]string)
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, spec := range gd.Specs {
			ts := spec.(*ast.TypeSpec)
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			ids := make(map[int]string)
			for _, field := range st.Fields.List {
				if field.Tag == nil || len(field.Names) != 1 {
					continue
				}
				tag, err := strconv.Unquote(field.Tag.Value)
				if err != nil {
					continue
				}
				parts := strings.Split(reflect.StructTag(tag).Get(key), ",")
				if len(parts) < 2 {
					continue
				}
				if id, err := strconv.Atoi(parts[1]); err == nil {
					ids[id] = field.Names[0].Name
				}
			}
			types[ts.Name.Name] = ids
		}
	}
	return types
}

// unsignedFields maps each struct type declared in f to its fields of an
// unsigned integer type, by name, with that type's name. Thrift has no
// unsigned integers: the IDL mirrors a uint64 as an i64, whose generated
// reader assigns an int64, so rewrite converts those assignments.
func unsignedFields(f *ast.File) map[string]map[string]string {
	types := make(map[string]map[string]string)
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, spec := range gd.Specs {
			ts := spec.(*ast.TypeSpec)
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			for _, field := range st.Fields.List {
				id, ok := field.Type.(*ast.Ident)
				if !ok || len(field.Names) != 1 || (id.Name != "uint64" && id.Name != "uint32") {
					continue
				}
				if types[ts.Name.Name] == nil {
					types[ts.Name.Name] = make(map[string]string)
				}
				types[ts.Name.Name][field.Names[0].Name] = id.Name
			}
		}
	}
	return types
}

// receiver returns the type and variable names of fn's pointer receiver.
func receiver(fn *ast.FuncDecl) (typeName, varName string) {
	r := fn.Recv.List[0]
	star, ok := r.Type.(*ast.StarExpr)
	if !ok || len(r.Names) != 1 {
		return "", ""
	}
	id, ok := star.X.(*ast.Ident)
	if !ok {
		return "", ""
	}
	return id.Name, r.Names[0].Name
}

// rewrite renames, in place, fn's receiver type, the fields and helper
// methods it reaches through its receiver, and the transplanted types it
// names. Anything else reached through the receiver is an error: it would
// have no counterpart on the protobuf type.
func rewrite(fn *ast.FuncDecl, recv string, t *target, targets map[string]*target) error {
	var errs []error
	ast.Inspect(fn, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			// recv.Field = v, where Field is unsigned on the protobuf type
			// and v the signed value Thrift read: convert v.
			if len(n.Lhs) != 1 || len(n.Rhs) != 1 || n.Tok != token.ASSIGN {
				return true
			}
			sel, ok := n.Lhs[0].(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != recv {
				return true
			}
			if typ, ok := t.convert[t.fields[sel.Sel.Name]]; ok {
				n.Rhs[0] = &ast.CallExpr{Fun: ast.NewIdent(typ), Args: []ast.Expr{n.Rhs[0]}}
			}
		case *ast.SelectorExpr:
			x, ok := n.X.(*ast.Ident)
			if !ok || x.Name != recv {
				return true
			}
			if field, ok := t.fields[n.Sel.Name]; ok {
				n.Sel.Name = field
			} else if name := newMethodName(n.Sel.Name); name != "" {
				n.Sel.Name = name
			} else {
				errs = append(errs, fmt.Errorf("uses %s.%s, which has no counterpart on %s", recv, n.Sel.Name, t.name))
			}
			return false
		case *ast.Ident:
			if other, ok := targets[n.Name]; ok {
				n.Name = other.name
			}
		}
		return true
	})
	return errors.Join(errs...)
}

// render prints decls as a file of package pkg, importing what they use of
// tf's imports; origins names the thrift type each decl came from.
func render(fset *token.FileSet, tf *ast.File, pkg string, types []string, decls []*ast.FuncDecl, origins []string) ([]byte, error) {
	var body bytes.Buffer
	for i, d := range decls {
		body.WriteString("\n")
		if name := d.Name.Name; name == "Read" || name == "Write" {
			fmt.Fprintf(&body, "// %s is thriftgen.%s.%s, moved here by thrifttransplant.\n", name, origins[i], name)
		}
		if err := format.Node(&body, fset, d); err != nil {
			return nil, err
		}
		body.WriteString("\n")
	}

	used := make(map[string]bool)
	for _, d := range decls {
		ast.Inspect(d, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if x, ok := sel.X.(*ast.Ident); ok {
					used[x.Name] = true
				}
			}
			return true
		})
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "// Code generated by scripts/thrifttransplant from service/thriftgen; DO NOT EDIT.\n\npackage %s\n\nimport (\n", pkg)
	for _, imp := range tf.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		name := path[strings.LastIndex(path, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		if used[name] {
			if imp.Name != nil {
				fmt.Fprintf(&out, "\t%s %s\n", imp.Name.Name, imp.Path.Value)
			} else {
				fmt.Fprintf(&out, "\t%s\n", imp.Path.Value)
			}
		}
	}
	out.WriteString(")\n\n// The transplanted types, checked at compile time.\nvar (\n")
	for _, name := range types {
		fmt.Fprintf(&out, "\t_ thrift.TStruct = (*%s)(nil)\n", name)
	}
	out.WriteString(")\n")
	out.Write(body.Bytes())
	return format.Source(out.Bytes())
}
