// Chinese names of the catalog's codes (school kinds, community models and levels, rendition
// policies), shared by the admin's page and the dashboard.
export const kSchoolKinds = { urban: '城区学校', town: '乡镇学校', rural: '乡村学校', teaching_point: '教学点' };
export const kCommunityModels = { fusion: '融合型', co_build: '共建型', collaboration: '协作型' };
export const kCommunityLevels = { county: '县域内', cross_county: '跨县', cross_city: '跨市' };
export const kRenditionPolicies = { all: '全部清晰度', low: '低带宽（240p 与音频）', audio: '仅音频' };
export const kSubjects = ['语文', '数学', '英语', '科学', '道德与法治', '历史', '地理', '物理', '化学', '生物',
  '音乐', '美术', '体育与健康', '信息科技', '劳动', '综合实践', '其他'];
export const kGrades = ['一年级', '二年级', '三年级', '四年级', '五年级', '六年级', '七年级', '八年级', '九年级', '其他'];
