package runtimetest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/sensor/runctest"
)

// Image references of the images BuildImages makes. Both are fully
// qualified, so containerd, its CRI plugin and podman all name them the same.
const (
	// BusyboxRef is the busybox image; its default command is `sh`.
	BusyboxRef = "docker.io/vigiltest/busybox:1"
	// PauseRef is the pod sandbox image, the same rootfs with a default
	// command that sleeps for ever (`sleep 2147483647`).
	PauseRef = "docker.io/vigiltest/pause:1"
)

// OCI media types and annotations used in the images.
const (
	mediaTypeIndex    = "application/vnd.oci.image.index.v1+json"
	mediaTypeManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaTypeConfig   = "application/vnd.oci.image.config.v1+json"
	mediaTypeLayer    = "application/vnd.oci.image.layer.v1.tar+gzip"
	annotationRefName = "org.opencontainers.image.ref.name"
	// annotationImageName is containerd's full-name annotation; podman's
	// load reads it too, before the ref name.
	annotationImageName = "io.containerd.image.name"
)

// epoch is every file's and the image's creation time, so that the same
// busybox always gives the same digests.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Image is an OCI image written as an OCI archive (a tar of an OCI image
// layout: oci-layout, index.json and blobs/sha256/...), which both
// `ctr images import` and `podman load` accept.
type Image struct {
	// Ref is the image's full reference, such as BusyboxRef.
	Ref string
	// Digest is the manifest's digest, "sha256:" and 64 hex digits: what
	// containerd reports as the image's target digest, the CRI as the
	// repo digest (Ref's repository + "@" + Digest) and podman as Digest.
	Digest string
	// ConfigDigest is the config's digest, "sha256:" and 64 hex digits:
	// the CRI's image id and podman's image ID (without "sha256:").
	ConfigDigest string
	// LayerDigest is the single gzip layer's digest and DiffID its
	// uncompressed tar's digest.
	LayerDigest, DiffID string
	// Cmd is the image's default command.
	Cmd []string
	// Archive is the path of the OCI archive.
	Archive string
}

// Repository is Ref without its tag, such as "docker.io/vigiltest/busybox".
func (img Image) Repository() string {
	i := strings.LastIndexByte(img.Ref, ':')
	if i < 0 || strings.Contains(img.Ref[i:], "/") {
		return img.Ref
	}
	return img.Ref[:i]
}

// DigestRef is the image's reference by digest: Repository()@Digest.
func (img Image) DigestRef() string { return img.Repository() + "@" + img.Digest }

// Images are the images a runtime is given.
type Images struct {
	Busybox, Pause Image
}

// BuildImages builds the busybox and pause images from the static busybox
// (runctest.BuildRootfs's rootfs: busybox, its applets and /etc files) and
// writes their OCI archives to a temporary directory. The images share
// their one layer; the content is fixed (owners root, times epoch), so the
// digests depend only on the busybox binary.
func BuildImages(t testing.TB) Images {
	t.Helper()
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs")
	runctest.BuildRootfs(t, rootfs)
	layer, err := tarDir(rootfs)
	if err != nil {
		t.Fatalf("runtimetest: layer from %s: %v", rootfs, err)
	}
	var zipped bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zipped, gzip.BestSpeed)
	zw.ModTime = epoch
	if _, err := zw.Write(layer); err != nil {
		t.Fatalf("runtimetest: gzip layer: %v", err)
	}
	if err := zw.Close(); err != nil {
		t.Fatalf("runtimetest: gzip layer: %v", err)
	}
	var imgs Images
	for _, im := range []struct {
		img  *Image
		ref  string
		cmd  []string
		file string
	}{
		{&imgs.Busybox, BusyboxRef, []string{"sh"}, "busybox.tar"},
		{&imgs.Pause, PauseRef, []string{"sleep", "2147483647"}, "pause.tar"},
	} {
		*im.img, err = writeImage(filepath.Join(dir, im.file), im.ref, im.cmd, layer, zipped.Bytes())
		if err != nil {
			t.Fatalf("runtimetest: writing image %s: %v", im.ref, err)
		}
	}
	return imgs
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int               `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Platform    *platform         `json:"platform,omitempty"`
}

type platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
}

func writeImage(path, ref string, cmd []string, layer, zipped []byte) (Image, error) {
	img := Image{
		Ref:         ref,
		Cmd:         cmd,
		Archive:     path,
		DiffID:      digestOf(layer),
		LayerDigest: digestOf(zipped),
	}
	config, err := json.Marshal(map[string]any{
		"created":      epoch.Format(time.RFC3339),
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"config": map[string]any{
			"Env":        []string{"PATH=/bin:/usr/bin:/sbin:/usr/sbin"},
			"Cmd":        cmd,
			"WorkingDir": "/",
		},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{img.DiffID}},
		"history": []map[string]any{{
			"created":    epoch.Format(time.RFC3339),
			"created_by": "vigil runtimetest: static busybox",
		}},
	})
	if err != nil {
		return img, err
	}
	img.ConfigDigest = digestOf(config)
	manifest, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     mediaTypeManifest,
		"config":        descriptor{MediaType: mediaTypeConfig, Digest: img.ConfigDigest, Size: len(config)},
		"layers":        []descriptor{{MediaType: mediaTypeLayer, Digest: img.LayerDigest, Size: len(zipped)}},
	})
	if err != nil {
		return img, err
	}
	img.Digest = digestOf(manifest)
	index, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     mediaTypeIndex,
		"manifests": []descriptor{{
			MediaType: mediaTypeManifest,
			Digest:    img.Digest,
			Size:      len(manifest),
			Annotations: map[string]string{
				annotationImageName: ref,
				annotationRefName:   ref,
			},
			Platform: &platform{Architecture: runtime.GOARCH, OS: "linux"},
		}},
	})
	if err != nil {
		return img, err
	}

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dir := func(name string) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, ModTime: epoch})
	}
	file := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: epoch}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	blob := func(data []byte) error { return file("blobs/sha256/"+digestOf(data)[len("sha256:"):], data) }
	for _, step := range []func() error{
		func() error { return file("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)) },
		func() error { return file("index.json", index) },
		func() error { return dir("blobs/") },
		func() error { return dir("blobs/sha256/") },
		func() error { return blob(manifest) },
		func() error { return blob(config) },
		func() error { return blob(zipped) },
		tw.Close,
	} {
		if err := step(); err != nil {
			return img, err
		}
	}
	return img, os.WriteFile(path, buf.Bytes(), 0o644)
}

// tarDir makes a tar of the tree at root: directories, regular files and
// symlinks, in lexical order, owned by root, at epoch.
func tarDir(root string) ([]byte, error) {
	var paths []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != root {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range paths {
		fi, err := os.Lstat(p)
		if err != nil {
			return nil, err
		}
		rel, _ := filepath.Rel(root, p)
		h := &tar.Header{
			Name:    filepath.ToSlash(rel),
			Mode:    int64(fi.Mode().Perm()),
			ModTime: epoch,
			Uname:   "root",
			Gname:   "root",
		}
		if fi.Mode()&fs.ModeSticky != 0 {
			h.Mode |= 0o1000
		}
		var data []byte
		switch {
		case fi.IsDir():
			h.Typeflag = tar.TypeDir
			h.Name += "/"
		case fi.Mode()&fs.ModeSymlink != 0:
			h.Typeflag = tar.TypeSymlink
			if h.Linkname, err = os.Readlink(p); err != nil {
				return nil, err
			}
		case fi.Mode().IsRegular():
			h.Typeflag = tar.TypeReg
			if data, err = os.ReadFile(p); err != nil {
				return nil, err
			}
			h.Size = int64(len(data))
		default:
			return nil, fmt.Errorf("%s: unexpected file type %v", p, fi.Mode().Type())
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
