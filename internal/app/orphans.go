package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// orphanExamples is how many dossier codes a report names.
const orphanExamples = 5

// OrphanSteps reports the progress steps that wait for a dossier that will
// not be sent (quarantined, dead, or never read): the portal takes a step
// only after its dossier, so they wait until the dossier is fixed. The
// text is empty when there are none.
func OrphanSteps(ctx context.Context, st *outbox.Store) (outbox.Orphans, string, error) {
	o, err := st.Orphans(ctx, string(packets.KindProgress), string(packets.KindDossier), orphanExamples)
	if err != nil || o.Packets == 0 {
		return o, "", err
	}
	codes := strings.Join(o.MaHoSo, ", ")
	if o.More {
		codes += ", …"
	}
	return o, fmt.Sprintf("%d bước xử lý chờ hồ sơ không được gửi (bị cách ly hoặc thất bại) / %d progress steps wait for a dossier that will not be sent (quarantined or dead): %s",
		o.Packets, o.Packets, codes), nil
}

// OrphanHint says what to do about orphaned steps.
const OrphanHint = "sửa hồ sơ trong phần mềm một cửa (xem `log --status quarantined`) hoặc gửi lại gói hồ sơ thất bại (`retry`); các bước sẽ tự gửi sau hồ sơ / " +
	"fix the dossier in the one-stop software (see `log --status quarantined`) or requeue its dead packet (`retry`); the steps follow it by themselves"

// WarnOrphanSteps logs OrphanSteps as a warning when there are any.
func WarnOrphanSteps(ctx context.Context, st *outbox.Store, log *slog.Logger) error {
	o, text, err := OrphanSteps(ctx, st)
	if err != nil || o.Packets == 0 {
		return err
	}
	log.Warn(text, "steps", o.Packets, "hint", OrphanHint)
	return nil
}
