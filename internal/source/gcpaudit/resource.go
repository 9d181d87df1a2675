package gcpaudit

import (
	"strings"

	"github.com/vigilsec/vigil/internal/source"
)

// Cloud Storage resource names: projects/_/buckets/BUCKET[/objects/PATH].

func splitGCS(s string) (bucket, object string) {
	rest, ok := strings.CutPrefix(s, "projects/_/buckets/")
	if !ok {
		return "", ""
	}
	bucket, object, _ = strings.Cut(rest, "/objects/")
	return bucket, object
}

var (
	gcsBucket = source.Transform{Name: "BUCKET of projects/_/buckets/BUCKET/objects/PATH", Fn: func(s string) string {
		b, _ := splitGCS(s)
		return b
	}}
	gcsObjectPath = source.Transform{Name: "PATH of projects/_/buckets/BUCKET/objects/PATH", Fn: func(s string) string {
		_, o := splitGCS(s)
		return o
	}}
)

// Container Registry keeps each project's images in a Cloud Storage bucket:
// artifacts.PROJECT.appspot.com for gcr.io, REGION.artifacts.PROJECT.appspot.com
// for us.gcr.io, eu.gcr.io and asia.gcr.io. Blobs (layers, configs) are
// objects containers/images/sha256:HEX; an image's manifest is
// containers/repositories/library/IMAGE/manifest_sha256:HEX and its tags
// containers/repositories/library/IMAGE/tag_TAG. A push is a series of
// storage.objects.create there, the manifest last.

// gcrImage returns the registry host, the repository (PROJECT, or
// PROJECT/IMAGE for manifest and tag objects) and the digest of an object in
// a Container Registry bucket; ok is false for any other object.
func gcrImage(resourceName string) (host, repository, digest string, ok bool) {
	var project string
	bucket, object := splitGCS(resourceName)
	rest, isAppspot := strings.CutSuffix(bucket, ".appspot.com")
	if !isAppspot || !strings.HasPrefix(object, "containers/") {
		return "", "", "", false
	}
	if p, ok := strings.CutPrefix(rest, "artifacts."); ok {
		host, project = "gcr.io", p
	} else if region, p, ok := strings.Cut(rest, ".artifacts."); ok {
		switch region {
		case "us", "eu", "asia":
			host, project = region+".gcr.io", p
		}
	}
	if host == "" || project == "" {
		return "", "", "", false
	}
	repository = project
	if d, ok := strings.CutPrefix(object, "containers/images/"); ok && strings.HasPrefix(d, "sha256:") {
		digest = d
	}
	if rest, ok := strings.CutPrefix(object, "containers/repositories/library/"); ok {
		if i := strings.LastIndexByte(rest, '/'); i > 0 {
			repository = project + "/" + rest[:i]
			if d, ok := strings.CutPrefix(rest[i+1:], "manifest_"); ok && strings.HasPrefix(d, "sha256:") {
				digest = d
			}
		}
	}
	return host, repository, digest, true
}

// gcrManifestImage returns HOST/PROJECT/IMAGE@sha256:HEX for a manifest
// object, or "".
func gcrManifestImage(resourceName string) string {
	host, repo, digest, ok := gcrImage(resourceName)
	if !ok || digest == "" || !strings.Contains(repo, "/") {
		return ""
	}
	return host + "/" + repo + "@" + digest
}

var (
	gcrRegistry = source.Transform{Name: "gcr.io, us.gcr.io, eu.gcr.io or asia.gcr.io for an object under containers/ in bucket [REGION.]artifacts.PROJECT.appspot.com", Fn: func(s string) string {
		host, _, _, _ := gcrImage(s)
		return host
	}}
	// The bucket names only the project: blobs of every image of
	// gcr.io/PROJECT share it, so a blob's repository is the project's
	// (gcloud's --repository=gcr.io/PROJECT); manifests and tags name the
	// image.
	gcrRepository = source.Transform{Name: "PROJECT/IMAGE of a manifest or tag object containers/repositories/library/IMAGE/..., else PROJECT, in a Container Registry bucket", Fn: func(s string) string {
		_, repo, _, _ := gcrImage(s)
		return repo
	}}
	gcrDigest = source.Transform{Name: "sha256:HEX of object containers/repositories/library/IMAGE/manifest_sha256:HEX (the image) or containers/images/sha256:HEX (a blob) in a Container Registry bucket", Fn: func(s string) string {
		_, _, digest, _ := gcrImage(s)
		return digest
	}}
	gcrImageRef = source.Transform{Name: "HOST/PROJECT/IMAGE@sha256:HEX of a manifest object in a Container Registry bucket", Fn: gcrManifestImage}
)

// Artifact Registry resource names:
// projects/P/locations/L/repositories/R[/dockerImages/IMAGE@sha256:HEX],
// …/packages/IMAGE[/versions/sha256:HEX | /tags/TAG]; IMAGE escapes / as %2F.
// The Docker host is L-docker.pkg.dev; the repository, as Docker names it,
// is P/R/IMAGE (P/R when the method names no image).

type arRef struct {
	registry, repository, digest, tag string
	image                             bool // the name includes an image
}

func parseAR(s string) (ref arRef, ok bool) {
	rest, ok := strings.CutPrefix(s, "projects/")
	if !ok {
		return ref, false
	}
	proj, rest, _ := strings.Cut(rest, "/locations/")
	loc, rest, _ := strings.Cut(rest, "/repositories/")
	repo, rest, _ := strings.Cut(rest, "/")
	if proj == "" || loc == "" || repo == "" || strings.Contains(proj, "/") || strings.Contains(loc, "/") {
		return ref, false
	}
	ref.registry = loc + "-docker.pkg.dev"
	ref.repository = proj + "/" + repo
	var img string
	if r, ok := strings.CutPrefix(rest, "dockerImages/"); ok {
		img = r
		if i := strings.Index(img, "@"); i >= 0 {
			img, ref.digest = img[:i], img[i+1:]
		} else if i := strings.LastIndexByte(img, ':'); i >= 0 {
			img, ref.tag = img[:i], img[i+1:]
		}
	} else if r, ok := strings.CutPrefix(rest, "packages/"); ok {
		img, r, _ = strings.Cut(r, "/")
		if d, ok := strings.CutPrefix(r, "versions/"); ok {
			ref.digest = d
		} else if t, ok := strings.CutPrefix(r, "tags/"); ok {
			ref.tag = t
		}
	}
	if img != "" {
		img = strings.ReplaceAll(strings.ReplaceAll(img, "%2F", "/"), "%2f", "/")
		ref.repository += "/" + img
		ref.image = true
	}
	if !strings.HasPrefix(ref.digest, "sha256:") {
		ref.digest = ""
	}
	return ref, true
}

var (
	arRegistry = source.Transform{Name: "LOCATION-docker.pkg.dev from projects/P/locations/LOCATION/repositories/…", Fn: func(s string) string {
		ref, _ := parseAR(s)
		return ref.registry
	}}
	arRepository = source.Transform{Name: "P/R/IMAGE from projects/P/locations/L/repositories/R/dockerImages/IMAGE… (P/R without an image)", Fn: func(s string) string {
		ref, _ := parseAR(s)
		return ref.repository
	}}
	arDigest = source.Transform{Name: "sha256:HEX from …/dockerImages/IMAGE@sha256:HEX or …/versions/sha256:HEX", Fn: func(s string) string {
		ref, _ := parseAR(s)
		return ref.digest
	}}
	arImageRef = source.Transform{Name: "registry/repository@digest or :tag", Fn: func(s string) string {
		ref, _ := parseAR(s)
		switch {
		case !ref.image:
			return ""
		case ref.digest != "":
			return ref.registry + "/" + ref.repository + "@" + ref.digest
		case ref.tag != "":
			return ref.registry + "/" + ref.repository + ":" + ref.tag
		}
		return ""
	}}
)
