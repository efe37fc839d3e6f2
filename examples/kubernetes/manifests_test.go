// Package kubernetes checks the example's manifests offline: every document
// decodes strictly into its Kubernetes API type (an unknown or misspelt
// field fails), and the pieces fit together. It is its own module so that
// the rpcbench module does not depend on Kubernetes.
package kubernetes

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// objects are the example's manifests, by kind and name.
type objects struct {
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	jobs        map[string]*batchv1.Job
	pods        map[string]*corev1.Pod
	claims      map[string]*corev1.PersistentVolumeClaim
}

func load(t *testing.T) objects {
	t.Helper()
	o := objects{
		deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{},
		jobs: map[string]*batchv1.Job{}, pods: map[string]*corev1.Pod{}, claims: map[string]*corev1.PersistentVolumeClaim{},
	}
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range bytes.Split(data, []byte("\n---\n")) {
			where := fmt.Sprintf("%s document %d", file, i+1)
			var meta struct{ APIVersion, Kind string }
			if err := yaml.Unmarshal(doc, &meta); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			var obj interface{ GetName() string }
			switch meta.APIVersion + " " + meta.Kind {
			case "apps/v1 Deployment":
				obj = decode(t, where, doc, o.deployments)
			case "v1 Service":
				obj = decode(t, where, doc, o.services)
			case "batch/v1 Job":
				obj = decode(t, where, doc, o.jobs)
			case "v1 Pod":
				obj = decode(t, where, doc, o.pods)
			case "v1 PersistentVolumeClaim":
				obj = decode(t, where, doc, o.claims)
			default:
				t.Fatalf("%s: %s %s: the test knows no such type", where, meta.APIVersion, meta.Kind)
			}
			if obj.GetName() == "" {
				t.Errorf("%s: no metadata.name", where)
			}
		}
	}
	return o
}

// decode unmarshals doc strictly into a new T and files it by name.
func decode[T any, P interface {
	*T
	GetName() string
}](t *testing.T, where string, doc []byte, into map[string]P) P {
	t.Helper()
	obj := P(new(T))
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	into[obj.GetName()] = obj
	return obj
}

// flag returns the value of --name=value in args.
func flag(args []string, name string) (string, bool) {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

func TestManifestsDecodeStrictly(t *testing.T) {
	o := load(t)
	if len(o.deployments) != 1 || len(o.services) != 1 || len(o.jobs) != 1 || len(o.pods) != 1 || len(o.claims) != 1 {
		t.Fatalf("want one Deployment, Service, Job, Pod and PersistentVolumeClaim; got %d, %d, %d, %d, %d",
			len(o.deployments), len(o.services), len(o.jobs), len(o.pods), len(o.claims))
	}
}

func TestStrictDecodingRejectsUnknownFields(t *testing.T) {
	var job batchv1.Job
	doc := []byte("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: x\nspec:\n  completionsMode: Indexed\n")
	if err := yaml.UnmarshalStrict(doc, &job); err == nil || !strings.Contains(err.Error(), "completionsMode") {
		t.Fatalf("a misspelt field decoded with error %v; want it named", err)
	}
}

func TestServerIsReachableThroughTheHeadlessService(t *testing.T) {
	o := load(t)
	d, s := o.deployments["rpcbench-server"], o.services["rpcbench-server"]
	if d == nil || s == nil {
		t.Fatal("want a Deployment and a Service named rpcbench-server")
	}
	if s.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("service clusterIP %q; want None (headless)", s.Spec.ClusterIP)
	}
	for k, v := range s.Spec.Selector {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("service selects %s=%s; the server pods have %q", k, v, d.Spec.Template.Labels[k])
		}
	}
	c := d.Spec.Template.Spec.Containers[0]
	addr, _ := flag(c.Args, "--addr")
	if c.Args[0] != "serve" || !strings.HasSuffix(addr, fmt.Sprint(":", s.Spec.Ports[0].Port)) {
		t.Errorf("server args %q; want serve listening on the service's port %d", c.Args, s.Spec.Ports[0].Port)
	}
}

func TestLoadJobIsIndexedAndSplitsTheRate(t *testing.T) {
	o := load(t)
	job := o.jobs["rpcbench-load"]
	if job == nil {
		t.Fatal("want a Job named rpcbench-load")
	}
	spec := job.Spec
	if spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("completionMode %v; want Indexed", spec.CompletionMode)
	}
	if spec.Completions == nil || spec.Parallelism == nil || *spec.Parallelism != *spec.Completions {
		t.Fatalf("completions %v, parallelism %v; want every pod at once, so that their windows overlap", spec.Completions, spec.Parallelism)
	}
	n := int(*spec.Completions)
	c := spec.Template.Spec.Containers[0]
	for _, name := range []string{"-o", "--hdr-log"} {
		if v, _ := flag(c.Args, name); !strings.Contains(v, "$(JOB_COMPLETION_INDEX)") || !strings.HasPrefix(v, "/results/") {
			t.Errorf("%s=%q; want /results/...$(JOB_COMPLETION_INDEX)...", name, v)
		}
	}
	if !slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "JOB_COMPLETION_INDEX" }) {
		t.Error("the container does not define JOB_COMPLETION_INDEX, which its args use")
	}
	if v, _ := flag(c.Args, "--start-at"); v != "START_AT" {
		t.Errorf("--start-at=%q; want the START_AT placeholder that README.md fills in", v)
	}
	if v, _ := flag(c.Args, "--format"); v != "json" {
		t.Errorf("--format=%q; want json, what merge reads", v)
	}
	rate, err := strconv.ParseFloat(must(flag(c.Args, "--rate")), 64)
	if err != nil {
		t.Fatal(err)
	}
	total, err := strconv.ParseFloat(job.Annotations["rpcbench.example/total-rate"], 64)
	if err != nil || rate*float64(n) != total {
		t.Errorf("--rate %g × %d pods = %g; the total-rate annotation says %q", rate, n, rate*float64(n), job.Annotations["rpcbench.example/total-rate"])
	}
	if addr, _ := flag(c.Args, "--addr"); !strings.HasPrefix(addr, "rpcbench-server:") {
		t.Errorf("--addr=%q; want the rpcbench-server service", addr)
	}
	checkResultsVolume(t, o, "job", spec.Template.Spec)

	merge := o.pods["rpcbench-merge"]
	if merge == nil {
		t.Fatal("want a Pod named rpcbench-merge")
	}
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("/results/load-%d.json", i))
	}
	args := merge.Spec.Containers[0].Args
	if args[0] != "merge" || !slices.Equal(args[len(args)-n:], want) {
		t.Errorf("merge args %q; want merge of %q, one file per Job index", args, want)
	}
	checkResultsVolume(t, o, "merge pod", merge.Spec)
}

func checkResultsVolume(t *testing.T, o objects, who string, spec corev1.PodSpec) {
	t.Helper()
	for _, v := range spec.Volumes {
		if v.PersistentVolumeClaim != nil && o.claims[v.PersistentVolumeClaim.ClaimName] != nil {
			return
		}
	}
	t.Errorf("%s: no volume from the example's PersistentVolumeClaim", who)
}

func must(v string, ok bool) string {
	if !ok {
		return ""
	}
	return v
}

func TestImagesAreTheDockerfilesImage(t *testing.T) {
	o := load(t)
	var specs []corev1.PodSpec
	for _, d := range o.deployments {
		specs = append(specs, d.Spec.Template.Spec)
	}
	for _, j := range o.jobs {
		specs = append(specs, j.Spec.Template.Spec)
	}
	for _, p := range o.pods {
		specs = append(specs, p.Spec)
	}
	dockerfile, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range specs {
		for _, c := range s.Containers {
			if !bytes.Contains(dockerfile, []byte("-t "+c.Image+" ")) {
				t.Errorf("container %s runs image %s, which the Dockerfile's build command does not make", c.Name, c.Image)
			}
		}
	}
	if _, err := os.Stat("../../cmd/rpcbench/main.go"); err != nil {
		t.Errorf("the Dockerfile builds ./cmd/rpcbench from the repository's root: %v", err)
	}
}
