package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/hcmc-lgsp/lgsp-connector/internal/logging"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/signing"
)

func newSandboxCmd() *cobra.Command {
	var (
		listen, clientID, clientSecret, storeDir, tlsCert, tlsKey string
		trust, outages, allowAlgorithms                           []string
		o                                                         sandbox.Options
		verbose                                                   bool
		memoryMiB                                                 int64
	)
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Chạy LGSP sandbox để diễn tập / Run the LGSP sandbox for rehearsals",
		Long:  "Xem / see docs/sandbox.md",
		Example: `  lgsp-connector sandbox --listen 127.0.0.1:8089 --trust signing-cert.pem
  lgsp-connector sandbox --listen 127.0.0.1:8089 --trust cert.pem --error-rate 0.2 --throttle-rate 0.1 --outage 10m@5m`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			level := slog.LevelInfo
			if verbose {
				level = slog.LevelDebug
			}
			log := logging.New(cmd.ErrOrStderr(), logging.Options{Level: level, Format: "text", Mask: true})
			if clientSecret == "" {
				clientSecret = os.Getenv("LGSP_SANDBOX_CLIENT_SECRET")
			}
			if clientSecret == "" {
				return errors.New("cần --client-secret hoặc biến LGSP_SANDBOX_CLIENT_SECRET / need --client-secret or LGSP_SANDBOX_CLIENT_SECRET")
			}
			o.ClientID, o.ClientSecret, o.StoreDir, o.Logger = clientID, clientSecret, storeDir, log
			if len(trust) > 0 {
				certs, err := signing.LoadCertificates(trust...)
				if err != nil {
					return err
				}
				// nil keeps the verifier's default (RSA only): ECDSA is
				// accepted only when asked for by name.
				var vo signing.VerifierOptions
				for _, name := range allowAlgorithms {
					alg, err := signing.ParseAlgorithm(name)
					if err != nil {
						return fmt.Errorf("--allow-algorithm: %w", err)
					}
					vo.Allowed = append(vo.Allowed, alg)
				}
				v, err := signing.NewVerifierWithOptions(certs, vo)
				if err != nil {
					return err
				}
				o.Verify = v.VerifyBytes
				log.Info("sandbox trusts signing certificates", "count", len(certs), "subjects", subjects(certs))
			}
			start := time.Now()
			for _, s := range outages {
				w, err := sandbox.ParseOutage(s, start)
				if err != nil {
					return err
				}
				o.Outages = append(o.Outages, w)
			}
			switch {
			case memoryMiB < 0:
				return fmt.Errorf("--memory-mib %d: must be 0 or more", memoryMiB)
			case memoryMiB == 0:
				o.MaxMemoryBytes = 1 // no body fits: metadata only
			default:
				o.MaxMemoryBytes = memoryMiB << 20
			}
			sb, err := sandbox.New(o)
			if err != nil {
				return err
			}
			// Bind before saying so, and say the bound address: with
			// --listen 127.0.0.1:0 the port is chosen by the system.
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("--listen %q: %w", listen, err)
			}
			srv := &http.Server{Handler: sb.Handler(), ReadHeaderTimeout: 10 * time.Second}
			go func() {
				<-cmd.Context().Done()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = srv.Shutdown(ctx)
			}()
			log.Info("LGSP sandbox listening", "addr", ln.Addr().String(), "tls", tlsCert != "")
			if tlsCert != "" {
				err = srv.ServeTLS(ln, tlsCert, tlsKey)
			} else {
				err = srv.Serve(ln)
			}
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:8089", "địa chỉ lắng nghe / listen address")
	f.StringSliceVar(&trust, "trust", nil, "chứng thư ký số được tin cậy (PEM), có thể lặp / trusted signing certificates (PEM), repeatable")
	f.StringSliceVar(&allowAlgorithms, "allow-algorithm", nil, "thuật toán chữ ký được chấp nhận, có thể lặp; mặc định rsa-sha256, rsa-sha512 / accepted signature algorithms, repeatable; default rsa-sha256, rsa-sha512 (ECDSA only if listed, e.g. ecdsa-sha256)")
	f.StringVar(&clientID, "client-id", "lgsp-connector", "client_id được chấp nhận / accepted client_id")
	f.StringVar(&clientSecret, "client-secret", "", "client_secret được chấp nhận (hoặc LGSP_SANDBOX_CLIENT_SECRET) / accepted client_secret")
	f.Float64Var(&o.ErrorRate, "error-rate", 0, "tỉ lệ trả lỗi 5xx / fraction of 5xx answers")
	f.Float64Var(&o.ThrottleRate, "throttle-rate", 0, "tỉ lệ trả 429 / fraction of 429 answers")
	f.DurationVar(&o.RetryAfter, "retry-after", 2*time.Second, "Retry-After gửi kèm 429 / Retry-After sent with 429")
	f.DurationVar(&o.Latency, "latency", 0, "độ trễ thêm vào / added latency")
	f.DurationVar(&o.LatencyJitter, "latency-jitter", 0, "dao động độ trễ / latency jitter")
	f.Float64Var(&o.DropAckRate, "drop-ack-rate", 0, "tỉ lệ nhận gói nhưng trả 502 (mất xác nhận) / accept but answer 502")
	f.StringSliceVar(&outages, "outage", nil, "ngừng dịch vụ DURATION@OFFSET, ví dụ 10m@5m / outage DURATION@OFFSET")
	f.Int64Var(&o.Seed, "seed", 1, "hạt giống ngẫu nhiên / random seed")
	f.StringVar(&storeDir, "store-dir", "", "ghi gói đã nhận vào thư mục / write accepted packets to this directory")
	f.Int64Var(&memoryMiB, "memory-mib", 512, "bộ nhớ giữ nội dung gói (MiB), quá thì chỉ giữ thông tin gói; 0: không giữ / memory for packet bodies (MiB); beyond it only metadata is kept; 0 keeps none (long benchmarks)")
	f.StringVar(&tlsCert, "tls-cert", "", "chứng thư TLS (PEM) / TLS certificate")
	f.StringVar(&tlsKey, "tls-key", "", "khóa TLS (PEM) / TLS key")
	f.BoolVarP(&verbose, "verbose", "v", false, "nhật ký chi tiết / verbose logs")
	return cmd
}

func subjects(certs []*x509.Certificate) []string {
	out := make([]string, len(certs))
	for i, c := range certs {
		out[i] = c.Subject.CommonName
	}
	return out
}
