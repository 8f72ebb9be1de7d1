package metrics

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/workcenter-io/workcenter-operator/internal/testenv"
)

// TestSecureMetricsServeTheMountedCertificate: with --metrics-secure and
// --metrics-cert-path the metrics server serves the certificate found there (as
// cert-manager's metrics Certificate mounts it), so that Prometheus can verify it against
// the issuing CA; without --metrics-cert-path it serves a self-signed one that the CA
// does not verify.
func TestSecureMetricsServeTheMountedCertificate(t *testing.T) {
	ctx := context.Background()
	env, err := testenv.Start(testenv.Options{Webhooks: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Stop() }()
	dir := t.TempDir()
	bin, kubeconfig, err := env.PrepareManager(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	// The envtest webhook certificate: a CA and a serving certificate for localhost.
	hooks := env.WebhookInstallOptions
	ca := x509.NewCertPool()
	if !ca.AppendCertsFromPEM(hooks.LocalServingCAData) {
		t.Fatal("no CA")
	}
	handshake := func(args ...string) error {
		addr := testenv.FreePort()
		cmd := exec.Command(bin, append([]string{"--metrics-secure", "--metrics-bind-address=" + addr,
			"--health-probe-bind-address=0", "--enable-webhooks=false", "--leader-elect=false"}, args...)...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
		log, _ := os.Create(filepath.Join(dir, "secure.log"))
		defer log.Close()
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		_, port, _ := net.SplitHostPort(addr)
		var last error
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			conn, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", "127.0.0.1:"+port,
				&tls.Config{RootCAs: ca, ServerName: "localhost"})
			if err == nil {
				conn.Close()
				return nil
			}
			last = err
			var unverified *tls.CertificateVerificationError
			if errors.As(err, &unverified) { // served, but not by a certificate of the CA
				return err
			}
		}
		return last
	}
	if err := handshake("--metrics-cert-path=" + hooks.LocalServingCertDir); err != nil {
		t.Errorf("with --metrics-cert-path, the CA does not verify the metrics server: %v", err)
	}
	if err := handshake(); err == nil {
		t.Error("without --metrics-cert-path, the CA verifies the metrics server: the test proves nothing")
	}
}
