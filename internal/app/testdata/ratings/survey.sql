-- The survey kiosk's own database of the ratings fixture: one row per
-- answer; a kiosk that lost its connection re-sends a form as new rows.
CREATE TABLE dg_phieu (
  id INTEGER PRIMARY KEY, ma_phieu TEXT NOT NULL, so_ho_so TEXT, ma_thu_tuc TEXT, ma_can_bo TEXT,
  ma_cau_hoi TEXT, muc_do INTEGER, diem INTEGER, ly_do TEXT, kenh TEXT, thoi_diem TEXT, ngay_cap_nhat TEXT NOT NULL);
CREATE INDEX ix_phieu_thoi_diem ON dg_phieu (thoi_diem);
-- P1 about D1.
INSERT INTO dg_phieu VALUES (1, 'P1', '000.00.12.H29-261001-0001', '1.001', 'CB01', 'CH00', 1, NULL, NULL, 'KIOSK', '2026-10-09 11:00:00', '2026-10-09 11:00:00');
INSERT INTO dg_phieu VALUES (2, 'P1', '000.00.12.H29-261001-0001', '1.001', 'CB01', 'CH06', NULL, 2, NULL, 'KIOSK', '2026-10-09 11:00:00', '2026-10-09 11:00:00');
INSERT INTO dg_phieu VALUES (3, 'P1', '000.00.12.H29-261001-0001', '1.001', 'CB01', 'CH07', NULL, 2, NULL, 'KIOSK', '2026-10-09 11:00:00', '2026-10-09 11:00:00');
INSERT INTO dg_phieu VALUES (4, 'P1', '000.00.12.H29-261001-0001', '1.001', 'CB01', 'CH08', NULL, 1, NULL, 'KIOSK', '2026-10-09 11:00:00', '2026-10-09 11:00:00');
-- P2 about D2.
INSERT INTO dg_phieu VALUES (5, 'P2', '000.00.12.H29-260920-0002', '1.001', 'CB02', 'CH00', 2, NULL, NULL, 'MOBILE', '2026-10-06 10:00:00', '2026-10-06 10:00:00');
INSERT INTO dg_phieu VALUES (6, 'P2', '000.00.12.H29-260920-0002', '1.001', 'CB02', 'CH06', NULL, 1, NULL, 'MOBILE', '2026-10-06 10:00:00', '2026-10-06 10:00:00');
INSERT INTO dg_phieu VALUES (7, 'P2', '000.00.12.H29-260920-0002', '1.001', 'CB02', 'CH07', NULL, 2, NULL, 'MOBILE', '2026-10-06 10:00:00', '2026-10-06 10:00:00');
INSERT INTO dg_phieu VALUES (8, 'P2', '000.00.12.H29-260920-0002', '1.001', 'CB02', 'CH08', NULL, 2, NULL, 'MOBILE', '2026-10-06 10:00:00', '2026-10-06 10:00:00');
-- P3 about D3, dissatisfied; its overall answer re-sent by the kiosk.
INSERT INTO dg_phieu VALUES (9, 'P3', '000.00.12.H29-261002-0003', '2.002', 'CB01', 'CH00', 4, NULL, 'Phải đi lại nhiều lần', 'KIOSK', '2026-10-15 15:00:00', '2026-10-15 15:00:00');
INSERT INTO dg_phieu VALUES (10, 'P3', '000.00.12.H29-261002-0003', '2.002', 'CB01', 'CH06', NULL, 0, NULL, 'KIOSK', '2026-10-15 15:00:00', '2026-10-15 15:00:00');
INSERT INTO dg_phieu VALUES (11, 'P3', '000.00.12.H29-261002-0003', '2.002', 'CB01', 'CH07', NULL, 1, NULL, 'KIOSK', '2026-10-15 15:00:00', '2026-10-15 15:00:00');
INSERT INTO dg_phieu VALUES (12, 'P3', '000.00.12.H29-261002-0003', '2.002', 'CB01', 'CH08', NULL, 0, NULL, 'KIOSK', '2026-10-15 15:00:00', '2026-10-15 15:00:00');
INSERT INTO dg_phieu VALUES (13, 'P3', '000.00.12.H29-261002-0003', '2.002', 'CB01', 'CH00', 4, NULL, 'Phải đi lại nhiều lần', 'KIOSK', '2026-10-15 15:00:00', '2026-10-16 08:00:00');
-- P4, a general question with no dossier.
INSERT INTO dg_phieu VALUES (14, 'P4', NULL, NULL, 'CB02', 'CH00', 3, NULL, NULL, 'WEB', '2026-10-20 09:00:00', '2026-10-20 09:00:00');
-- P5 names an officer, P6 a question, the code tables do not know.
INSERT INTO dg_phieu VALUES (15, 'P5', NULL, NULL, 'CB99', 'CH00', 1, NULL, NULL, 'KIOSK', '2026-10-21 09:00:00', '2026-10-21 09:00:00');
INSERT INTO dg_phieu VALUES (16, 'P6', NULL, NULL, 'CB01', 'CH99', 2, NULL, NULL, 'KIOSK', '2026-10-22 09:00:00', '2026-10-22 09:00:00');
-- The month's edges: the last second of September and the first of
-- November are out, the last second of October is in.
INSERT INTO dg_phieu VALUES (17, 'P7', NULL, NULL, 'CB01', 'CH00', 1, NULL, NULL, 'KIOSK', '2026-09-30 23:59:59', '2026-09-30 23:59:59');
INSERT INTO dg_phieu VALUES (18, 'P8', NULL, NULL, 'CB01', 'CH00', 5, NULL, 'Không được hướng dẫn', 'GIAY', '2026-10-31 23:59:59', '2026-11-02 08:00:00');
INSERT INTO dg_phieu VALUES (19, 'P9', NULL, NULL, 'CB02', 'CH00', 1, NULL, NULL, 'KIOSK', '2026-11-01 00:00:00', '2026-11-01 00:00:00');
