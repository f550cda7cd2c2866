"""Fixed vocabularies of the demo world, kept apart so the generators read as logic, not lists."""

from __future__ import annotations

from typing import NamedTuple


class ProductSpec(NamedTuple):
    """A catalogue line; `margin` < 0 makes a loss-maker, a few percent makes a staple."""

    category: str
    name: str
    price: float  # list price in yuan, before the seed's jitter
    margin: float  # (price - cost) / price
    bulk: float  # typical quantity on one enterprise order line
    consumer: bool  # individuals buy it too
    popularity: float  # relative chance of being in a customer's basket


# An office, IT and workplace-supplies distributor: sells to companies and to the public.
PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec("办公文具", "中性笔(12支装)", 24, 0.42, 20, True, 6),
    ProductSpec("办公文具", "A5笔记本(5本装)", 35, 0.45, 10, True, 4),
    ProductSpec("办公文具", "文件夹(10个装)", 28, 0.40, 10, True, 3),
    ProductSpec("办公文具", "订书机", 35, 0.38, 4, True, 2),
    ProductSpec("办公文具", "便利贴(10本装)", 22, 0.50, 10, True, 3),
    ProductSpec("办公文具", "财务计算器", 68, 0.35, 3, True, 1.5),
    ProductSpec("纸张耗材", "A4复印纸70g(5包/箱)", 118, 0.06, 25, True, 8),
    ProductSpec("纸张耗材", "A3复印纸80g(5包/箱)", 160, 0.14, 6, False, 2),
    ProductSpec("纸张耗材", "原装硒鼓(黑色)", 420, 0.30, 4, True, 3),
    ProductSpec("纸张耗材", "彩色墨盒套装", 260, 0.33, 3, True, 2.5),
    ProductSpec("纸张耗材", "兼容碳粉", 88, 0.48, 6, True, 2),
    ProductSpec("电脑及配件", "商务笔记本电脑", 5999, 0.12, 2, True, 2),
    ProductSpec("电脑及配件", "台式电脑主机", 4599, 0.14, 2, True, 1.5),
    ProductSpec("电脑及配件", "27英寸显示器", 1299, 0.16, 2, True, 1.5),
    ProductSpec("电脑及配件", "无线键鼠套装", 159, 0.32, 5, True, 3),
    ProductSpec("电脑及配件", "2TB移动硬盘", 499, 0.20, 2, True, 1.5),
    ProductSpec("电脑及配件", "64G U盘(引流款)", 29, -0.25, 10, True, 3),
    ProductSpec("办公设备", "激光打印机(促销款)", 899, -0.12, 1, True, 2),
    ProductSpec("办公设备", "彩色多功能一体机", 2899, 0.22, 1, False, 1),
    ProductSpec("办公设备", "碎纸机", 699, 0.28, 1, True, 1),
    ProductSpec("办公设备", "商务投影仪", 3999, 0.24, 1, False, 0.7),
    ProductSpec("办公设备", "人脸识别考勤机", 399, 0.35, 1, False, 0.8),
    ProductSpec("办公家具", "人体工学办公椅", 899, 0.36, 4, True, 1.5),
    ProductSpec("办公家具", "升降办公桌", 1599, 0.33, 3, True, 1),
    ProductSpec("办公家具", "钢制文件柜", 1199, 0.30, 2, False, 0.8),
    ProductSpec("办公家具", "会议桌(2.4米)", 4800, 0.31, 1, False, 0.4),
    ProductSpec("劳保用品", "防护手套(12双)", 36, 0.30, 20, False, 3),
    ProductSpec("劳保用品", "安全帽", 45, 0.34, 10, False, 1.5),
    ProductSpec("劳保用品", "工作服套装", 168, 0.38, 10, False, 1.5),
    ProductSpec("劳保用品", "防护口罩(50只)", 49, 0.05, 20, True, 3),
    ProductSpec("劳保用品", "劳保鞋", 199, 0.36, 8, False, 1),
    ProductSpec("清洁用品", "抽纸(24包/箱)", 79, 0.07, 12, True, 6),
    ProductSpec("清洁用品", "洗手液(500ml×6)", 59, 0.28, 6, True, 3),
    ProductSpec("清洁用品", "垃圾袋(10卷)", 18, 0.35, 10, True, 3),
    ProductSpec("清洁用品", "84消毒液(箱)", 96, 0.25, 4, True, 1.5),
    ProductSpec("饮料食品", "桶装饮用水(18.9L)", 22, 0.04, 30, True, 6),
    ProductSpec("饮料食品", "咖啡豆(1kg)", 168, 0.40, 4, True, 2),
    ProductSpec("饮料食品", "茶叶礼盒", 388, 0.45, 5, True, 1.5),
    ProductSpec("饮料食品", "办公零食礼包", 128, 0.30, 8, True, 2),
    ProductSpec("软件服务", "正版办公软件(年)", 398, 0.55, 10, True, 2),
    ProductSpec("软件服务", "企业杀毒软件(年)", 199, 0.60, 15, True, 1.5),
    ProductSpec("软件服务", "云存储1TB(年)", 299, 0.52, 5, True, 1.5),
    ProductSpec("软件服务", "财务软件(年)", 2980, 0.58, 1, False, 0.6),
    ProductSpec("维修服务", "上门维修服务", 300, -0.20, 1, True, 1.5),
    ProductSpec("维修服务", "设备保养合同(年)", 2400, 0.40, 1, False, 0.8),
    ProductSpec("维修服务", "安装调试服务", 500, 0.25, 1, True, 0.8),
    ProductSpec("节日礼品", "中秋月饼礼盒", 268, 0.32, 20, True, 1.5),
    ProductSpec("节日礼品", "春节年货礼盒(冲量款)", 498, -0.08, 8, True, 1.5),
    ProductSpec("节日礼品", "定制保温杯", 89, 0.42, 30, True, 1),
    ProductSpec("节日礼品", "商务皮具礼盒", 688, 0.48, 8, False, 0.6),
)

# Region -> (share of customers, provinces with a few of their cities).
REGIONS: dict[str, tuple[float, tuple[tuple[str, tuple[str, ...]], ...]]] = {
    "华东": (
        0.32,
        (
            ("上海市", ("上海市",)),
            ("江苏省", ("南京市", "苏州市", "无锡市")),
            ("浙江省", ("杭州市", "宁波市", "温州市")),
            ("山东省", ("济南市", "青岛市")),
            ("福建省", ("福州市", "厦门市")),
            ("安徽省", ("合肥市",)),
        ),
    ),
    "华南": (
        0.20,
        (
            ("广东省", ("广州市", "深圳市", "东莞市", "佛山市")),
            ("广西壮族自治区", ("南宁市",)),
            ("海南省", ("海口市",)),
        ),
    ),
    "华北": (
        0.18,
        (
            ("北京市", ("北京市",)),
            ("天津市", ("天津市",)),
            ("河北省", ("石家庄市", "保定市")),
            ("山西省", ("太原市",)),
        ),
    ),
    "华中": (
        0.10,
        (
            ("湖北省", ("武汉市", "宜昌市")),
            ("湖南省", ("长沙市",)),
            ("河南省", ("郑州市", "洛阳市")),
        ),
    ),
    "西南": (
        0.10,
        (("四川省", ("成都市", "绵阳市")), ("重庆市", ("重庆市",)), ("云南省", ("昆明市",))),
    ),
    "东北": (0.05, (("辽宁省", ("沈阳市", "大连市")), ("吉林省", ("长春市",)))),
    "西北": (
        0.05,
        (("陕西省", ("西安市",)), ("甘肃省", ("兰州市",)), ("新疆维吾尔自治区", ("乌鲁木齐市",))),
    ),
}

INDUSTRIES: tuple[tuple[str, float], ...] = (
    ("制造业", 0.22),
    ("零售", 0.13),
    ("IT服务", 0.12),
    ("教育", 0.10),
    ("金融", 0.08),
    ("医疗", 0.08),
    ("物流", 0.09),
    ("建筑", 0.07),
    ("餐饮", 0.06),
    ("政府机关", 0.05),
)

MAIN_BUSINESS: dict[str, str] = {
    "制造业": "零部件加工与装配",
    "零售": "连锁门店零售",
    "IT服务": "软件开发与系统集成",
    "教育": "学历教育与职业培训",
    "金融": "银行及理财服务",
    "医疗": "综合医院及诊所",
    "物流": "仓储与城市配送",
    "建筑": "工程施工与装修",
    "餐饮": "连锁餐饮",
    "政府机关": "公共管理与服务",
}

# The first department is where an enterprise's buying starts; big accounts add the others.
DEPARTMENTS: tuple[str, ...] = ("采购部", "行政部", "IT部", "生产部", "市场部")
TITLES: dict[str, tuple[str, ...]] = {
    "采购部": ("采购经理", "采购专员", "采购总监"),
    "行政部": ("行政主管", "行政助理", "办公室主任"),
    "IT部": ("IT经理", "网络管理员", "信息中心主任"),
    "生产部": ("生产主管", "车间主任", "厂长"),
    "市场部": ("市场总监", "市场专员", "品牌经理"),
}

ORDER_CHANNELS = ("线上", "门店", "电话", "代理")

MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "198",
    "199",
]

# Chinese New Year (春节) dates: buying peaks in the weeks before, stops during the holiday.
SPRING_FESTIVAL: dict[int, tuple[int, int]] = {
    2015: (2, 19),
    2016: (2, 8),
    2017: (1, 28),
    2018: (2, 16),
    2019: (2, 5),
    2020: (1, 25),
    2021: (2, 12),
    2022: (2, 1),
    2023: (1, 22),
    2024: (2, 10),
    2025: (1, 29),
    2026: (2, 17),
    2027: (2, 6),
    2028: (1, 26),
    2029: (2, 13),
    2030: (2, 3),
    2031: (1, 23),
    2032: (2, 11),
    2033: (1, 31),
    2034: (2, 19),
    2035: (2, 8),
}

MEMOS: dict[str, tuple[str, ...]] = {
    "informed": (
        "告知{p}新品上市及价格",
        "通知春节期间发货安排",
        "介绍会员等级及积分规则",
        "发送双十一促销方案",
        "告知发票已寄出",
    ),
    "resolved": (
        "协助查询物流，已签收",
        "发票抬头有误，已重开",
        "{p}使用问题，远程指导解决",
        "对账差异已核对清楚",
    ),
    "follow_up": (
        "客户询价{p}，待报价",
        "约定下周上门拜访",
        "年度采购计划沟通中，需跟进",
        "客户考虑更换供应商，需关注",
        "新项目有采购需求，待确认数量",
    ),
    "order": ("客户下单{p}", "确认订单及交付时间", "补货{p}，已下单", "下单，月结"),
    "complaint": (
        "投诉送货延迟",
        "反映{p}质量问题，申请退货",
        "对价格上调不满",
        "投诉客服响应慢",
        "发票开具错误，客户不满",
    ),
    "no_answer": ("电话未接通，稍后再拨", "微信未回复", "拜访未遇到负责人"),
}

CHARACTERS = (
    "性格开朗，健谈",
    "做事严谨，注重细节",
    "决策果断",
    "比较谨慎，需多次沟通",
    "重视长期合作",
)
HOBBIES = (
    "高尔夫",
    "钓鱼",
    "摄影",
    "茶艺",
    "跑步",
    "书法",
    "旅游",
    "羽毛球",
    "烹饪",
    "阅读",
    "登山",
)
HABITS = ("早睡早起，不吸烟", "每周健身三次", "应酬较多", "喜欢喝茶，不喝咖啡", "注重养生")
TRAITS = ("务实", "细致", "外向", "谨慎", "注重效率", "重感情", "价格敏感", "追求品质", "爱面子")
STYLES = ("喜欢微信沟通", "偏好电话", "邮件为主，正式", "面谈效果最好")
DECISIONS = (
    "采购部比价后由总经理审批",
    "年度招标，签框架协议",
    "各部门自行采购，月结",
    "集团集中采购，季度下单",
)
PREFERRED_CHANNELS = ("电话", "微信", "邮件", "上门拜访")
CONTACT_TIMES = ("工作日上午", "工作日下午", "午休后", "晚上7点后", "周末")
DEGREES = ("大专", "本科", "硕士", "MBA")
