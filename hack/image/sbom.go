package main

import (
	"bytes"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// SPDXMediaType is the SBOM's media type, as the artifactType of its OCI referrer and
// of its one blob (what `oras discover`, `oras attach --artifact-type` and Trivy's and
// cosign's referrer lookups use for SPDX JSON).
const SPDXMediaType = "application/spdx+json"

// The SPDX 2.3 JSON document: only the fields this SBOM fills.
type spdxDocument struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      spdxCreationInfo   `json:"creationInfo"`
	DocumentDescribes []string           `json:"documentDescribes"`
	Packages          []spdxPackage      `json:"packages"`
	Relationships     []spdxRelationship `json:"relationships"`
}

type spdxCreationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type spdxPackage struct {
	SPDXID           string            `json:"SPDXID"`
	Name             string            `json:"name"`
	VersionInfo      string            `json:"versionInfo,omitempty"`
	Supplier         string            `json:"supplier,omitempty"`
	DownloadLocation string            `json:"downloadLocation"`
	FilesAnalyzed    bool              `json:"filesAnalyzed"`
	Checksums        []spdxChecksum    `json:"checksums,omitempty"`
	LicenseConcluded string            `json:"licenseConcluded"`
	LicenseDeclared  string            `json:"licenseDeclared"`
	CopyrightText    string            `json:"copyrightText"`
	PrimaryPurpose   string            `json:"primaryPackagePurpose,omitempty"`
	Comment          string            `json:"comment,omitempty"`
	ExternalRefs     []spdxExternalRef `json:"externalRefs,omitempty"`
}

type spdxChecksum struct {
	Algorithm     string `json:"algorithm"`
	ChecksumValue string `json:"checksumValue"`
}

type spdxExternalRef struct {
	Category string `json:"referenceCategory"`
	Type     string `json:"referenceType"`
	Locator  string `json:"referenceLocator"`
}

type spdxRelationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

var spdxIDUnsafe = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

func spdxID(kind, name string) string {
	return "SPDXRef-" + kind + "-" + strings.Trim(spdxIDUnsafe.ReplaceAllString(name, "-"), "-")
}

func purlGolang(path, version string) string {
	return "pkg:golang/" + path + "@" + version
}

// SBOM is the SPDX 2.3 JSON document of one platform's image (manifest digest
// manifestDigest): the image, the Go modules compiled into the manager (read from the
// binary's build information, what `go version -m` prints), the Go standard library,
// and the base's sources (the CA bundle's module and the time zone database).
func SBOM(manager []byte, platform, manifestDigest, version string, base *Base, created time.Time) ([]byte, error) {
	info, err := buildinfo.Read(bytes.NewReader(manager))
	if err != nil {
		return nil, fmt.Errorf("the manager's build information: %w", err)
	}
	mainVersion := info.Main.Version
	if mainVersion == "" || mainVersion == "(devel)" {
		mainVersion = version
	}
	imageID := spdxID("Image", "workcenter-operator-"+platform)
	mainID := spdxID("Module", info.Main.Path)
	stdID := spdxID("Module", "stdlib")
	var settings []string
	for _, s := range info.Settings {
		settings = append(settings, s.Key+"="+s.Value)
	}
	doc := spdxDocument{
		SPDXVersion: "SPDX-2.3",
		DataLicense: "CC0-1.0",
		SPDXID:      "SPDXRef-DOCUMENT",
		Name:        "workcenter-operator " + platform,
		// Unique per image: the manifest the SBOM describes.
		DocumentNamespace: "https://github.com/workcenter-io/workcenter-operator/spdx/" + manifestDigest,
		CreationInfo: spdxCreationInfo{
			Created:  created.UTC().Format(time.RFC3339),
			Creators: []string{"Tool: workcenter-operator-hack-image", "Organization: workcenter-io"},
		},
		DocumentDescribes: []string{imageID},
	}
	ociPurl := "pkg:oci/workcenter-operator@" + strings.ReplaceAll(manifestDigest, ":", "%3A") +
		"?arch=" + strings.TrimPrefix(platform, "linux/")
	doc.Packages = append(doc.Packages, spdxPackage{
		SPDXID: imageID, Name: "workcenter-operator", VersionInfo: mainVersion,
		DownloadLocation: "NOASSERTION", LicenseConcluded: "NOASSERTION", LicenseDeclared: "NOASSERTION",
		CopyrightText: "NOASSERTION", PrimaryPurpose: "CONTAINER",
		Checksums:    []spdxChecksum{{Algorithm: "SHA256", ChecksumValue: strings.TrimPrefix(manifestDigest, "sha256:")}},
		Comment:      "the " + platform + " image manifest " + manifestDigest,
		ExternalRefs: []spdxExternalRef{{Category: "PACKAGE-MANAGER", Type: "purl", Locator: ociPurl}},
	})
	doc.Packages = append(doc.Packages, spdxPackage{
		SPDXID: mainID, Name: info.Main.Path, VersionInfo: mainVersion,
		DownloadLocation: "git+https://github.com/workcenter-io/workcenter-operator",
		LicenseConcluded: "NOASSERTION", LicenseDeclared: "NOASSERTION", CopyrightText: "NOASSERTION",
		PrimaryPurpose: "APPLICATION",
		Comment:        "the manager, /manager; go build settings: " + strings.Join(settings, " "),
		ExternalRefs:   []spdxExternalRef{{Category: "PACKAGE-MANAGER", Type: "purl", Locator: purlGolang(info.Main.Path, mainVersion)}},
	})
	doc.Packages = append(doc.Packages, spdxPackage{
		SPDXID: stdID, Name: "stdlib", VersionInfo: info.GoVersion,
		Supplier: "Organization: The Go Authors", DownloadLocation: "https://go.dev/dl/",
		LicenseConcluded: "NOASSERTION", LicenseDeclared: "BSD-3-Clause", CopyrightText: "NOASSERTION",
		PrimaryPurpose: "LIBRARY",
		ExternalRefs:   []spdxExternalRef{{Category: "PACKAGE-MANAGER", Type: "purl", Locator: purlGolang("stdlib", info.GoVersion)}},
	})
	doc.Relationships = append(doc.Relationships,
		spdxRelationship{"SPDXRef-DOCUMENT", "DESCRIBES", imageID},
		spdxRelationship{imageID, "CONTAINS", mainID},
		spdxRelationship{mainID, "DEPENDS_ON", stdID},
	)
	for _, d := range info.Deps {
		m := d
		if d.Replace != nil {
			m = d.Replace
		}
		id := spdxID("Module", m.Path)
		p := spdxPackage{
			SPDXID: id, Name: m.Path, VersionInfo: m.Version,
			DownloadLocation: "https://proxy.golang.org/" + m.Path + "/@v/" + m.Version + ".zip",
			LicenseConcluded: "NOASSERTION", LicenseDeclared: "NOASSERTION", CopyrightText: "NOASSERTION",
			PrimaryPurpose: "LIBRARY",
			ExternalRefs:   []spdxExternalRef{{Category: "PACKAGE-MANAGER", Type: "purl", Locator: purlGolang(m.Path, m.Version)}},
		}
		if m.Sum != "" {
			p.Comment = "go.sum " + m.Sum
		}
		if d.Replace != nil {
			p.Comment = strings.TrimSpace(fmt.Sprintf("replaces %s@%s; %s", d.Path, d.Version, p.Comment))
		}
		doc.Packages = append(doc.Packages, p)
		doc.Relationships = append(doc.Relationships, spdxRelationship{mainID, "DEPENDS_ON", id})
	}
	for _, s := range base.Sources {
		id := spdxID("Base", s.Name)
		doc.Packages = append(doc.Packages, spdxPackage{
			SPDXID: id, Name: s.Name, VersionInfo: s.Version, Supplier: s.Supplier,
			DownloadLocation: s.Download, LicenseConcluded: "NOASSERTION", LicenseDeclared: "NOASSERTION",
			CopyrightText: "NOASSERTION", PrimaryPurpose: "DATA", Comment: s.Comment,
			ExternalRefs: []spdxExternalRef{{Category: "PACKAGE-MANAGER", Type: "purl", Locator: s.Purl}},
		})
		doc.Relationships = append(doc.Relationships, spdxRelationship{imageID, "CONTAINS", id})
	}
	return json.MarshalIndent(doc, "", "  ")
}
