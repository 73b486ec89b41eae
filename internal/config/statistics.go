package config

import "github.com/robfig/cron/v3"

// validateStatistics checks the `statistics:` section (docs/statistics.md):
// the rules always (the on-demand `stats` command uses them), the
// schedule and the stream when the monthly job is enabled.
func (c *Config) validateStatistics(k *checker) {
	for _, err := range c.Statistics.Validate("statistics") {
		k.ps.addError("statistics", err)
	}
	if !c.Statistics.Enabled {
		return
	}
	parser := cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	if _, err := parser.Parse(c.Statistics.Schedule); err != nil {
		k.fail("statistics.schedule", "lịch cron không hợp lệ: "+err.Error(), "invalid cron schedule: "+err.Error())
	}
	if !c.DVCQG.Enabled {
		k.fail("statistics.enabled", "gửi thống kê cần bật mục dvcqg", "sending statistics needs the dvcqg section enabled")
	}
	if _, ok := c.Mapping.Streams[c.Statistics.Stream]; !ok {
		k.fail("statistics.stream", "luồng không có trong mapping.streams: "+quote(c.Statistics.Stream),
			"stream is not in mapping.streams: "+quote(c.Statistics.Stream))
	}
}
