-- The one-stop database of the ratings fixture (docs/ratings.md): seven
-- dossiers and their steps around October 2026. config.yaml says what
-- each row is for and what the October report must say.
CREATE TABLE hs_hoso (
  id INTEGER PRIMARY KEY, so_ho_so TEXT NOT NULL, ma_thu_tuc TEXT, kenh_nop TEXT, trang_thai TEXT,
  ngay_nhan TEXT, ngay_hen_tra TEXT, ngay_ket_thuc TEXT, ngay_tra_kq TEXT, ngay_cap_nhat TEXT NOT NULL);
CREATE INDEX ix_hoso_nhan ON hs_hoso (ngay_nhan);
CREATE INDEX ix_hoso_ket_thuc ON hs_hoso (ngay_ket_thuc);
-- D1 online, on time.
INSERT INTO hs_hoso VALUES (1, '000.00.12.H29-261001-0001', '1.001', 'TRUC_TUYEN', 'DA_TRA_KQ', '2026-10-01 08:00:00', '2026-10-10 17:00:00', '2026-10-09 10:00:00', '2026-10-09 15:00:00', '2026-10-09 15:00:00');
-- D2 in person, received in September, one day late.
INSERT INTO hs_hoso VALUES (2, '000.00.12.H29-260920-0002', '1.001', 'TRUC_TIEP', 'DA_XU_LY', '2026-09-20 08:00:00', '2026-10-05 17:00:00', '2026-10-06 09:00:00', NULL, '2026-10-06 09:00:00');
-- D3 by post, three days late.
INSERT INTO hs_hoso VALUES (3, '000.00.12.H29-261002-0003', '2.002', 'BUU_CHINH', 'DA_TRA_KQ', '2026-10-02 08:00:00', '2026-10-12 17:00:00', '2026-10-15 10:00:00', '2026-10-15 16:00:00', '2026-10-15 16:00:00');
-- D4 still being processed.
INSERT INTO hs_hoso VALUES (4, '000.00.12.H29-261003-0004', '2.002', 'TRUC_TIEP', 'DANG_XU_LY', '2026-10-03 08:00:00', '2026-10-30 17:00:00', NULL, NULL, '2026-10-03 08:00:00');
-- D5 finished in August: not part of October at all.
INSERT INTO hs_hoso VALUES (5, '000.00.12.H29-260801-0005', '1.001', 'TRUC_TUYEN', 'DA_TRA_KQ', '2026-08-01 08:00:00', '2026-08-20 17:00:00', '2026-08-19 10:00:00', '2026-08-19 15:00:00', '2026-08-19 15:00:00');
-- D6 with a channel the code table does not know: the mapping refuses it.
INSERT INTO hs_hoso VALUES (6, '000.00.12.H29-261004-0006', '1.001', 'FAX', 'DA_TRA_KQ', '2026-10-04 08:00:00', '2026-10-10 17:00:00', '2026-10-08 10:00:00', '2026-10-08 15:00:00', '2026-10-08 15:00:00');
-- D7 received in October, finished in November.
INSERT INTO hs_hoso VALUES (7, '000.00.12.H29-261020-0007', '1.001', 'TRUC_TIEP', 'DA_TRA_KQ', '2026-10-20 08:00:00', '2026-11-05 17:00:00', '2026-11-02 10:00:00', '2026-11-02 15:00:00', '2026-11-02 15:00:00');

CREATE TABLE hs_qua_trinh (
  id INTEGER PRIMARY KEY, so_ho_so TEXT NOT NULL, can_bo TEXT, phong_ban TEXT, trang_thai TEXT,
  thoi_diem TEXT, han_xu_ly TEXT, ngay_cap_nhat TEXT NOT NULL);
CREATE INDEX ix_qua_trinh_thoi_diem ON hs_qua_trinh (thoi_diem);
-- D1: a supplement request in March, before the 180 days read (if it were
-- read, D1's CS3 would be 1, not 2); then two steps on time.
INSERT INTO hs_qua_trinh VALUES (1, '000.00.12.H29-261001-0001', 'cb1', 'Phòng Tư pháp', 'CHO_BO_SUNG', '2026-03-02 09:00:00', '2026-03-05 17:00:00', '2026-03-02 09:00:00');
INSERT INTO hs_qua_trinh VALUES (2, '000.00.12.H29-261001-0001', 'cb2', 'Bộ phận một cửa', 'DA_TIEP_NHAN', '2026-10-01 08:05:00', '2026-10-01 17:00:00', '2026-10-01 08:05:00');
INSERT INTO hs_qua_trinh VALUES (3, '000.00.12.H29-261001-0001', 'cb1', 'Phòng Tư pháp', 'DANG_XU_LY', '2026-10-05 10:00:00', '2026-10-06 17:00:00', '2026-10-05 10:00:00');
-- D2: one supplement request, the tax office (another agency), and the
-- Phòng Tư pháp late once.
INSERT INTO hs_qua_trinh VALUES (4, '000.00.12.H29-260920-0002', 'cb2', 'Bộ phận một cửa', 'DA_TIEP_NHAN', '2026-09-20 08:10:00', '2026-09-20 17:00:00', '2026-09-20 08:10:00');
INSERT INTO hs_qua_trinh VALUES (5, '000.00.12.H29-260920-0002', 'cb1', 'Phòng Tư pháp', 'CHO_BO_SUNG', '2026-09-25 09:00:00', '2026-09-26 17:00:00', '2026-09-25 09:00:00');
INSERT INTO hs_qua_trinh VALUES (6, '000.00.12.H29-260920-0002', 'ct1', 'Chi cục Thuế', 'DANG_XU_LY', '2026-10-03 10:00:00', '2026-10-03 17:00:00', '2026-10-03 10:00:00');
INSERT INTO hs_qua_trinh VALUES (7, '000.00.12.H29-260920-0002', 'cb1', 'Phòng Tư pháp', 'DANG_XU_LY', '2026-10-04 16:00:00', '2026-10-02 17:00:00', '2026-10-04 16:00:00');
-- D3: two supplement requests, the Phòng Quản lý đô thị late.
INSERT INTO hs_qua_trinh VALUES (8, '000.00.12.H29-261002-0003', 'cb2', 'Bộ phận một cửa', 'DA_TIEP_NHAN', '2026-10-02 08:00:00', '2026-10-02 17:00:00', '2026-10-02 08:00:00');
INSERT INTO hs_qua_trinh VALUES (9, '000.00.12.H29-261002-0003', 'cb3', 'Phòng Quản lý đô thị', 'CHO_BO_SUNG', '2026-10-05 09:00:00', '2026-10-06 17:00:00', '2026-10-05 09:00:00');
INSERT INTO hs_qua_trinh VALUES (10, '000.00.12.H29-261002-0003', 'cb3', 'Phòng Quản lý đô thị', 'CHO_BO_SUNG', '2026-10-08 09:00:00', '2026-10-09 17:00:00', '2026-10-08 09:00:00');
INSERT INTO hs_qua_trinh VALUES (11, '000.00.12.H29-261002-0003', 'cb3', 'Phòng Quản lý đô thị', 'DANG_XU_LY', '2026-10-14 09:00:00', '2026-10-11 17:00:00', '2026-10-14 09:00:00');
-- D4 (not resolved): one step, and one whose status the code table does
-- not know.
INSERT INTO hs_qua_trinh VALUES (12, '000.00.12.H29-261003-0004', 'cb2', 'Bộ phận một cửa', 'DA_TIEP_NHAN', '2026-10-03 08:05:00', '2026-10-03 17:00:00', '2026-10-03 08:05:00');
INSERT INTO hs_qua_trinh VALUES (13, '000.00.12.H29-261003-0004', 'cb1', 'Phòng Tư pháp', 'TAM_DUNG', '2026-10-04 08:00:00', '2026-10-05 17:00:00', '2026-10-04 08:00:00');
