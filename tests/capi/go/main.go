// A Go caller of the installed librootfsctl through cgo (tests/capi/capi_test.py builds
// it with GOPROXY=off and `#cgo pkg-config: rootfsctl-c`): for each PID, loads LAYOUT,
// plans it against that process, applies it there, verifies, and prints one JSON line
// {"pid", "plan", "ops", "apply", "applied", "verify", "match"}. A Go program is always
// multithreaded, so an apply to a process in another user namespace exercises the
// library's forked helper from a multithreaded caller.
//
// Usage: proof LAYOUT PID...
package main

/*
#cgo pkg-config: rootfsctl-c
#include <stdlib.h>
#include <rootfsctl/rootfsctl.h>
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"unsafe"
)

// call runs one C API function that answers JSON and takes what it handed out.
func call(f func(**C.char, **C.rootfsctl_error) C.int) (int, map[string]any, error) {
	var text *C.char
	var cerr *C.rootfsctl_error
	rc := int(f(&text, &cerr))
	defer C.rootfsctl_string_free(text)
	defer C.rootfsctl_error_free(cerr)
	if cerr != nil {
		return rc, nil, fmt.Errorf("rc %d: stage %s errno %d: %s", rc,
			C.GoString(C.rootfsctl_error_stage(cerr)), int(C.rootfsctl_error_errno(cerr)),
			C.GoString(C.rootfsctl_error_message(cerr)))
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(C.GoString(text)), &doc); err != nil {
		return rc, nil, err
	}
	return rc, doc, nil
}

func load(path string) (*C.rootfsctl_layout, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	set := C.CString("usr=/usr")
	defer C.free(unsafe.Pointer(set))
	vars := (*[2]*C.char)(C.malloc(C.size_t(2 * unsafe.Sizeof(set))))
	defer C.free(unsafe.Pointer(vars))
	vars[0], vars[1] = set, nil
	var layout *C.rootfsctl_layout
	var cerr *C.rootfsctl_error
	rc := C.rootfsctl_layout_load_file(cpath, &vars[0], &layout, &cerr)
	defer C.rootfsctl_error_free(cerr)
	if rc != C.ROOTFSCTL_OK {
		return nil, fmt.Errorf("load %s: %s", path, C.GoString(C.rootfsctl_error_message(cerr)))
	}
	return layout, nil
}

func prove(layout *C.rootfsctl_layout, pid C.pid_t) (map[string]any, error) {
	out := map[string]any{"pid": int(pid)}
	planRC, plan, err := call(func(j **C.char, e **C.rootfsctl_error) C.int {
		return C.rootfsctl_plan_pid(layout, pid, j, e)
	})
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	out["plan"], out["ops"] = planRC, len(plan["ops"].([]any))
	applyRC, outcome, err := call(func(j **C.char, e **C.rootfsctl_error) C.int {
		return C.rootfsctl_apply(layout, pid, nil, j, e)
	})
	if err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	out["apply"], out["applied"], out["outcome"] = applyRC, outcome["applied"], outcome
	verifyRC, drift, err := call(func(j **C.char, e **C.rootfsctl_error) C.int {
		return C.rootfsctl_verify(layout, pid, j, e)
	})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	out["verify"], out["match"] = verifyRC, drift["match"]
	return out, nil
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: proof LAYOUT PID...")
		os.Exit(2)
	}
	layout, err := load(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer C.rootfsctl_layout_free(layout)
	for _, arg := range os.Args[2:] {
		pid, err := strconv.Atoi(arg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bad pid:", arg)
			os.Exit(2)
		}
		result, err := prove(layout, C.pid_t(pid))
		if err != nil {
			fmt.Fprintf(os.Stderr, "pid %d: %v\n", pid, err)
			os.Exit(1)
		}
		line, _ := json.Marshal(result)
		fmt.Println(string(line))
	}
}
