"""Word lists of the synthetic record generator, English and Chinese side by side.

Every entry is an (en, zh) pair so one index draws the same meaning in either language. Brand names
are invented; nothing here is copied from a dataset. Within one category, no value of one attribute is a
substring of another attribute's value, of a noun, of a brand or of a marketing word, so a value found in
a title is that attribute's span and not part of a longer word (tests/records/test_synth.py checks it).
"""

from __future__ import annotations

from typing import NamedTuple

Pair = tuple[str, str]


def _p(spec: str) -> tuple[Pair, ...]:
    """'Black|黑色; TPE' -> (('Black', '黑色'), ('TPE', 'TPE')): the zh side defaults to the en side."""
    pairs = []
    for item in spec.split(";"):
        item = item.strip()
        if item:
            en, _, zh = item.partition("|")
            pairs.append((en.strip(), (zh or en).strip()))
    return tuple(pairs)


def _nums(values, en: str, zh: str) -> tuple[Pair, ...]:
    return tuple((en.format(v), zh.format(v)) for v in values)


class AttrSpec(NamedTuple):
    name: Pair
    values: tuple[Pair, ...]
    place: str  # "pre": before the noun, "post": after it, "any": either


def _a(name: str, values, place: str = "any") -> AttrSpec:
    pair = _p(name)[0]
    return AttrSpec(pair, values if isinstance(values, tuple) else _p(values), place)


_COLORS = (
    "Black|黑色; White|白色; Navy Blue|藏青色; Red|红色; Beige|米色; Grey|灰色; Pink|粉色; Khaki|卡其色;"
    " Olive Green|军绿色; Burgundy|酒红; Sky Blue|天蓝色; Lavender|薰衣草紫; Mustard Yellow|姜黄色; Ivory|象牙白"
)
_TECH_COLORS = (
    "Midnight Black|午夜黑; Pearl White|珍珠白; Space Grey|深空灰; Ocean Blue|海洋蓝; Forest Green|森林绿;"
    " Rose Pink|玫瑰粉; Titanium Silver|钛银色; Graphite|石墨色"
)
_HOME_COLORS = "Matte Black|磨砂黑; Cream White|奶油白; Sage Green|鼠尾草绿; Stone Grey|岩石灰; Brushed Steel|拉丝钢色; Mint|薄荷绿"

ATTRIBUTES: dict[str, AttrSpec] = {
    "color": _a("color|颜色", _COLORS, "pre"),
    "tech_color": _a("color|颜色", _TECH_COLORS),
    "home_color": _a("color|颜色", _HOME_COLORS),
    "fabric": _a("material|材质", "Cotton|纯棉; Linen|亚麻; Silk|真丝; Chiffon|雪纺; Modal|莫代尔; Polyester|涤纶; Satin|缎面; "
        "Lace|蕾丝", "pre"),
    "outer_fabric": _a("material|材质", "Nylon|尼龙; Corduroy|灯芯绒; Fleece|摇粒绒; Wool Blend|羊毛混纺; Faux Leather|仿皮; "
        "Denim|牛仔布", "pre"),
    "knit": _a("material|材质", "Cashmere|羊绒; Merino Wool|美利奴羊毛; Mohair|马海毛; Cotton Knit|棉线针织; Acrylic|腈纶", "pre"),
    "dress_style": _a("style|风格", "A-Line|A字; Bodycon|包臀; Boho|波西米亚; Vintage|复古; Elegant|优雅; Casual|休闲; "
        "French Style|法式", "pre"),
    "sleeve": _a("sleeve length|袖长", "Short Sleeve|短袖; Long Sleeve|长袖; Sleeveless|无袖; Puff Sleeve|泡泡袖; "
        "Three-Quarter Sleeve|七分袖"),
    "season": _a("season|季节", "Summer|夏季; Winter|冬季; Spring|春季; Autumn|秋季; All-Season|四季通用"),
    "pattern": _a("pattern|图案", "Floral|碎花; Striped|条纹; Solid|纯色; Polka Dot|波点; Plaid|格纹; Leopard Print|豹纹", "pre"),
    "apparel_size": _a("size|尺码", "Small|S码; Medium|M码; Large|L码; X-Large|XL码; XX-Large|XXL码; Plus Size|大码", "post"),
    "fit": _a("fit|版型", "Slim Fit|修身; Regular Fit|常规版型; Loose Fit|宽松; Oversized|落肩廓形; Cropped|短款", "pre"),
    "gender": _a("gender|适用人群", "Women's|女款; Men's|男款; Unisex|男女同款; Kids'|儿童款", "pre"),
    "neckline": _a("neckline|领型", "V-Neck|V领; Crew Neck|圆领; Turtleneck|高领; Mock Neck|半高领", "pre"),
    "waist": _a("waist size|腰围", _nums(range(24, 41), "Waist {}", "腰围{}"), "post"),
    "rise": _a("rise|腰型", "High Rise|高腰; Mid Rise|中腰; Low Rise|低腰", "pre"),
    "shoe_size": _a("size|尺码", _nums(range(35, 47), "EU {}", "{}码"), "post"),
    "shoe_material": _a("material|材质", "Genuine Leather|真皮; Suede|麂皮; Canvas|帆布; Mesh|网面; Microfiber|超纤皮; EVA", "pre"),
    "shoe_feature": _a("feature|功能", "Cushioned|缓震; Breathable|透气; Lightweight|轻量; Non-Slip|防滑; Waterproof|防水", "pre"),
    "heel": _a("heel height|跟高", _nums((1, 2, 3, 5, 7), "{}cm Heel", "跟高{}cm"), "post"),
    "earphone_type": _a("type|佩戴方式", "In-Ear|入耳式; Over-Ear|头戴式; Open-Ear|开放式; Semi-In-Ear|半入耳式", "pre"),
    "connectivity": _a("connectivity|连接方式", "Bluetooth 5.3|蓝牙5.3; Bluetooth 5.4|蓝牙5.4; Wired|有线; "
        "2.4G Wireless|2.4G无线; Tri-Mode|三模", "pre"),
    "anc": _a("noise cancelling|降噪", "Active Noise Cancelling|主动降噪; Hybrid ANC|混合降噪; "
        "ENC Call Noise Reduction|ENC通话降噪"),
    "playtime": _a("battery life|续航", _nums((20, 24, 30, 36, 40, 50, 60), "{}H Playtime", "{}小时续航"), "post"),
    "storage": _a("storage|存储容量", "64GB; 128GB; 256GB; 512GB; 1TB", "post"),
    "ram": _a("memory|运行内存", "4GB RAM|4GB运存; 6GB RAM|6GB运存; 8GB RAM|8GB运存; 12GB RAM|12GB运存; 16GB RAM|16GB运存", "post"),
    "screen_phone": _a("screen size|屏幕尺寸", _nums(("6.1", "6.4", "6.5", "6.7", "6.8"), "{} inch", "{}英寸"), "post"),
    "network": _a("network|网络制式", "5G; 4G LTE|4G全网通", "pre"),
    "camera": _a("camera|摄像头", _p("48MP Camera|4800万像素; 50MP Camera|5000万像素; 64MP Camera|6400万像素;"
                                   " 108MP Camera|1亿像素; 200MP Camera|2亿像素"), "post"),
    "battery_mah": _a("capacity|电池容量", _nums((5000, 10000, 20000, 26800, 30000), "{}mAh", "{}毫安"), "post"),
    "wattage": _a("power|功率", _nums((18, 20, 30, 45, 65, 100, 120), "{}W", "{}W"), "post"),
    "ports": _a("ports|接口", "USB-C; Dual USB-C|双USB-C; USB-C + USB-A|USB-C+USB-A; Lightning", "post"),
    "watch_screen": _a("screen size|屏幕尺寸", _nums(("1.32", "1.43", "1.69", "1.96"), "{} inch AMOLED", "{}英寸AMOLED"),
                       "post"),
    "battery_days": _a("battery life|续航", _nums((7, 10, 14, 21), "{}-Day Battery", "{}天续航"), "post"),
    "water": _a("water resistance|防水等级", "5ATM; IP68; IP67; IPX4", "post"),
    "case_material": _a("material|材质", "Silicone|硅胶; TPU|TPU软壳; Genuine Leather|真皮; Tempered Glass|钢化玻璃; "
        "Carbon Fiber|碳纤维", "pre"),
    "case_feature": _a("feature|功能", "Shockproof|防摔; Magnetic|磁吸; Kickstand|支架; Ultra-Thin|超薄", "pre"),
    "compat": _a("compatible model|适用机型", _nums(("X5", "X7", "Note 12", "Note 13", "Pro 14", "Pro 15", "S23", "S24"),
                                                "for Nexora {}", "适用Nexora {}"), "post"),
    "laptop_screen": _a("screen size|屏幕尺寸", _nums(("13.3", "14", "15.6", "16", "17.3"), "{} inch", "{}英寸"), "post"),
    "ssd": _a("storage|硬盘容量", "256GB SSD|256GB固态; 512GB SSD|512GB固态; 1TB SSD|1TB固态; 2TB SSD|2TB固态", "post"),
    "cpu": _a("processor|处理器", _nums((4, 6, 8, 10, 12, 16), "{}-Core CPU", "{}核处理器"), "post"),
    "refresh": _a("refresh rate|刷新率", "60Hz; 120Hz; 144Hz; 165Hz; 240Hz", "post"),
    "switch": _a("switch|轴体", "Red Switch|红轴; Blue Switch|青轴; Brown Switch|茶轴; Silver Switch|银轴", "post"),
    "layout": _a("layout|键位", "61-Key|61键; 87-Key|87键; 98-Key|98键; 104-Key|104键", "pre"),
    "backlight": _a("backlight|背光", "RGB Backlit|RGB背光; White Backlit|白光背光; No Backlight|无背光"),
    "dpi": _a("DPI|分辨率", _nums((4000, 8000, 12000, 16000, 26000), "{} DPI", "{}DPI"), "post"),
    "mouse_weight": _a("weight|重量", _nums((49, 55, 59, 63, 75, 99), "{}g", "{}克"), "post"),
    "monitor_screen": _a("screen size|屏幕尺寸", _nums((24, 27, 32, 34), "{} inch", "{}英寸"), "post"),
    "resolution": _a("resolution|分辨率", "4K UHD|4K超高清; 2K QHD|2K; 1080P FHD|1080P全高清", "pre"),
    "panel": _a("panel|面板", "IPS; VA; OLED; Fast IPS", "pre"),
    "cookware_material": _a("material|材质", "Stainless Steel|不锈钢; Cast Iron|铸铁; Aluminum|铝合金; Carbon Steel|精铁; "
        "Ceramic Coated|陶瓷涂层", "pre"),
    "diameter": _a("diameter|直径", _nums((20, 24, 26, 28, 30, 32), "{}cm", "{}cm"), "post"),
    "lid": _a("lid|锅盖", "with Glass Lid|带玻璃盖; with Lid|带锅盖; No Lid|无盖", "post"),
    "induction": _a("stove|适用炉灶", "Induction Compatible|电磁炉通用; Gas Stove Only|燃气灶专用", "post"),
    "volume_ml": _a("capacity|容量", _nums((350, 500, 600, 750, 1000, 1200), "{}ml", "{}ml"), "post"),
    "bottle_material": _a("material|材质", "316 Stainless Steel|316不锈钢; 304 Stainless Steel|304不锈钢; Tritan; "
        "Borosilicate Glass|高硼硅玻璃", "pre"),
    "bed_size": _a("bed size|床尺寸", "Twin|1.2m床; Full|1.5m床; Queen|1.8m床; King|2.0m床", "post"),
    "bed_fabric": _a("material|材质", "Egyptian Cotton|埃及长绒棉; Bamboo|竹纤维; Microfiber|磨毛; Washed Linen|水洗亚麻; "
        "Tencel|天丝", "pre"),
    "thread_count": _a("thread count|支数", _nums((200, 300, 400, 600, 800), "{} Thread Count", "{}支"), "post"),
    "volume_l": _a("capacity|容量", _nums((10, 15, 20, 30, 40, 50, 66), "{}L", "{}升"), "post"),
    "storage_material": _a("material|材质", "Plastic|塑料; Fabric|布艺; Bamboo|竹制; Acrylic|亚克力", "pre"),
    "pack": _a("pack size|数量", _nums((2, 3, 4, 6), "{} Pack", "{}个装"), "post"),
    "fryer_capacity": _a("capacity|容量", _nums(("3.5", "4.5", "5.5", "6", "8"), "{}L", "{}升"), "post"),
    "app_wattage": _a("power|功率", _nums((800, 1200, 1500, 1700, 1800, 2200), "{}W", "{}W"), "post"),
    "control": _a("control|操控方式", "Touchscreen|触屏; Knob Control|旋钮; App Control|APP智控", "any"),
    "window": _a("feature|功能", "Visible Window|可视窗口; Dual Basket|双篮", "any"),
    "suction": _a("suction|吸力", _nums((8000, 12000, 18000, 25000, 30000), "{}Pa Suction", "{}Pa大吸力"), "post"),
    "runtime": _a("runtime|续航", _nums((40, 50, 60, 90, 120), "{} min Runtime", "{}分钟续航"), "post"),
    "hepa": _a("filter|过滤", "HEPA Filter|HEPA过滤; Washable Filter|可水洗滤网", "post"),
    "kettle_capacity": _a("capacity|容量", _nums(("1.0", "1.5", "1.7", "1.8", "2.0"), "{}L", "{}升"), "post"),
    "kettle_material": _a("material|材质", "Glass|玻璃; Stainless Steel|不锈钢; Double Wall|双层防烫", "pre"),
    "kettle_feature": _a("feature|功能", "Temperature Control|智能控温; Auto Shut-Off|自动断电; Keep Warm|保温", "any"),
    "ionic": _a("technology|技术", "Negative Ion|负离子; Ionic|水离子; Ceramic|陶瓷护发", "pre"),
    "heat": _a("heat settings|温度档位", _nums((2, 3, 4), "{} Heat Settings", "{}档温度"), "post"),
    "shade": _a("shade|色号", "#01 Ruby Red|#01正红色; #02 Coral|#02珊瑚色; #03 Nude|#03裸色; #05 Brick Red|#05砖红色;"
                " #07 Berry|#07莓果色; #09 Rosewood|#09豆沙色; #12 Plum|#12梅子色", "post"),
    "finish": _a("finish|质地", "Matte|哑光; Velvet|丝绒; Glossy|水光; Satin Finish|缎光", "pre"),
    "net_small": _a("net weight|净含量", _nums(("2.5", "3", "3.5", "4"), "{}g", "{}g"), "post"),
    "gift": _a("packaging|包装", "Gift Set|礼盒装; Single|单支装; Travel Size|旅行装", "post"),
    "skin": _a("skin type|适用肤质", "Dry Skin|干皮; Oily Skin|油皮; Sensitive Skin|敏感肌; Combination Skin|混合肌; "
        "All Skin Types|所有肤质", "post"),
    "cream_volume": _a("capacity|容量", _nums((15, 30, 50, 75, 100), "{}ml", "{}ml"), "post"),
    "ingredient": _a("key ingredient|成分", "Hyaluronic Acid|玻尿酸; Niacinamide|烟酰胺; Ceramide|神经酰胺; Retinol|视黄醇; "
        "Vitamin C|维C", "pre"),
    "effect": _a("effect|功效", "Hydrating|补水保湿; Brightening|提亮; Anti-Aging|抗皱紧致; Soothing|舒缓修护", "pre"),
    "shampoo_volume": _a("capacity|容量", _nums((250, 400, 500, 750, 1000), "{}ml", "{}ml"), "post"),
    "hair_effect": _a("effect|功效", "Anti-Dandruff|去屑; Volumizing|蓬松; Smoothing|柔顺; Oil Control|控油", "pre"),
    "scent": _a("scent|香型", "Rose|玫瑰; Peppermint|薄荷; Lavender Scent|薰衣草香; Citrus|柑橘; Unscented|无香", "pre"),
    "spf": _a("SPF|防晒指数", "SPF 30|SPF30; SPF 50|SPF50; SPF 50+|SPF50+", "post"),
    "pa": _a("PA|PA值", "PA+++; PA++++", "post"),
    "sweatproof": _a("feature|功能", "Water-Resistant|防水防汗; Lightweight|轻薄; Tinted|隔离素颜", "pre"),
    "thickness": _a("thickness|厚度", _nums((4, 6, 8, 10, 15), "{}mm", "{}mm"), "post"),
    "mat_material": _a("material|材质", "TPE; NBR; Natural Rubber|天然橡胶; Cork|软木; PU", "pre"),
    "mat_size": _a("size|尺寸", "183x61cm; 185x80cm; 200x90cm", "post"),
    "bag_material": _a("material|材质", "Nylon|尼龙; Oxford Cloth|牛津布; Ripstop|防撕裂布; Recycled Polyester|再生涤纶", "pre"),
    "water_resistant": _a("feature|功能", "Water-Resistant|防泼水; Waterproof|防水; Anti-Theft|防盗", "pre"),
    "people": _a("capacity|容纳人数", _nums((1, 2, 3, 4, 6, 8), "{}-Person", "{}人"), "pre"),
    "tent_season": _a("season|适用季节", "3-Season|三季; 4-Season|四季", "pre"),
    "weight_kg": _a("weight|重量", _nums((5, 10, 15, 20, 24, 30, 40), "{}kg", "{}公斤"), "post"),
    "db_material": _a("material|材质", "Cast Iron|铸铁; Rubber Coated|包胶; Neoprene|浸塑; Chrome|电镀", "pre"),
    "pair": _a("quantity|数量", "Pair|一对; Single|单只; Set of 6|6件套", "post"),
    "tea_type": _a("type|品类", "Green|绿茶; Oolong|乌龙茶; Black|红茶; Jasmine|茉莉花茶; White|白茶; Pu-erh|普洱", "pre"),
    "net_weight": _a("net weight|净含量", _nums((100, 125, 200, 250, 500, 1000), "{}g", "{}g"), "post"),
    "grade": _a("grade|等级", "Premium Grade|特级; First Grade|一级; Select|精选", "pre"),
    "food_pack": _a("packaging|包装", "Gift Box|礼盒装; Tin|罐装; Resealable Bag|袋装; Family Pack|家庭装", "post"),
    "origin_tea": _a("origin|产地", "Yunnan|云南; Fujian|福建; Zhejiang|浙江; Anhui|安徽; Sichuan|四川", "pre"),
    "roast": _a("roast|烘焙度", "Light Roast|浅度烘焙; Medium Roast|中度烘焙; Dark Roast|深度烘焙", "pre"),
    "origin_coffee": _a("origin|产地", "Colombia|哥伦比亚; Ethiopia|埃塞俄比亚; Brazil|巴西; Guatemala|危地马拉; Kenya|肯尼亚", "pre"),
    "flavor": _a("flavor|口味", "Spicy|香辣; Original|原味; Sea Salt|海盐; Barbecue|烧烤味; Honey Butter|蜂蜜黄油; Seaweed|海苔", "pre"),
    "count_packs": _a("quantity|数量", _nums((10, 20, 24, 30, 50), "{} Packs", "{}包"), "post"),
    "diaper_size": _a("size|尺码", "Newborn|NB码; Size 1|S码; Size 2|M码; Size 3|L码; Size 4|XL码; Size 5|XXL码", "post"),
    "diaper_count": _a("count|片数", _nums((36, 48, 62, 84, 96, 128), "{} Count", "{}片"), "post"),
    "diaper_feature": _a("feature|功能", "Ultra-Thin|超薄; Breathable|透气; Overnight|夜用; Leak Guard|防侧漏", "pre"),
    "pieces": _a("pieces|颗粒数", _nums((150, 300, 520, 800, 1200, 2000), "{} Pieces", "{}颗粒"), "post"),
    "age": _a("age range|适用年龄", _nums((3, 4, 6, 8, 12, 14), "Ages {}+", "{}岁以上"), "post"),
    "theme": _a("theme|主题", "City|城市; Space|太空; Castle|城堡; Dinosaur|恐龙; Racing Car|赛车; Farm|农场", "pre"),
    "stroller_feature": _a("feature|功能", "Foldable|可折叠; Reclining Seat|可坐可躺; One-Hand Fold|一键收车; "
        "Shock-Absorbing|避震", "pre"),
    "stroller_weight": _a("weight|重量", _nums(("4.9", "5.8", "6.5", "7.2", "9.8"), "{}kg", "{}kg"), "post"),
    "bag_leather": _a("material|材质", "Genuine Leather|真皮; Vegan Leather|PU皮; Canvas|帆布; Straw|草编", "pre"),
    "bag_size": _a("size|尺寸", "Large|大号; Medium|中号; Mini|迷你", "pre"),
    "luggage_size": _a("size|尺寸", _nums((18, 20, 22, 24, 26, 28), "{} inch", "{}寸"), "post"),
    "shell": _a("material|材质", "Polycarbonate|PC; Aluminum Frame|铝框; ABS; Soft Shell|软箱", "pre"),
    "wheels": _a("wheels|轮子", "Spinner Wheels|万向轮; Silent Wheels|静音轮", "post"),
}

COARSE: dict[str, Pair] = {
    "apparel": ("Clothing", "服饰"),
    "shoes": ("Shoes", "鞋靴"),
    "electronics": ("Electronics", "数码"),
    "computers": ("Computers & Office", "电脑办公"),
    "home": ("Home & Kitchen", "家居厨具"),
    "appliances": ("Appliances", "家用电器"),
    "beauty": ("Beauty & Personal Care", "美妆个护"),
    "sports": ("Sports & Outdoors", "运动户外"),
    "food": ("Grocery", "食品饮料"),
    "baby": ("Baby & Toys", "母婴玩具"),
    "bags": ("Bags & Luggage", "箱包"),
}

BRANDS: dict[str, tuple[Pair, ...]] = {
    "apparel": _p("Lumora|森语; Velanti|衣澜; Mirelle|木棉记; Northwind|若溪; Ostara|初禾; Kaleo|南栖; Brightfold|素锦; "
        "Sable & Finch|暖屿"),
    "shoes": _p("Stridex|步云; Arvenna|疾风; Trailon|行者派; Solvio|踏川; Kinetra|轻履; Pacewell|驰越; Dunmore|跃动; "
        "Fleetfoot|远途"),
    "electronics": _p("Voltra|声畅; Auralis|极澜; Zentrix|星芒; Nexora|智联科; Quantix|锐影; Sonique|酷驰; Pixelon|云幕; "
        "Ampere One|灵犀"),
    "computers": _p("Keystone|键途; Corvex|芯锐; Bytecraft|墨客; Lumitek|极刻; Orbix|方舟科; Vantor|智岚; Hexaline|光迅; "
        "Clarion Labs|雷驰"),
    "home": _p("Hearthly|暖居; Casamia|厨艺家; Oakridge|木之家; Ember & Co|悦家; Puravia|净品; Homestead|北欧风尚; Nordlyn|巧厨; "
        "Kitchara|居然美"),
    "appliances": _p("Breezo|清风; Thermalux|暖立方; Cleanova|洁净宝; Airwell|悦厨; Vortexa|乐居; Brewmate|智享; Zephyra|速热; "
        "Homevolt|惠尔家"),
    "beauty": _p("Luminelle|花颜; Rosaline|润肌坊; Dewlab|雪凝; Vellora|颜如玉; Purely Skin|水漾; Aurea|植初; Botanix|悦肤; "
        "Silkara|芳华"),
    "sports": _p("Peakform|巅峰; Trailhawk|野径; Summitra|山野; Corefit|燃动; Ridgeway|乐活; Alpinex|极行; Tempo Pro|悦跑; "
        "Basecamp|行山"),
    "food": _p("Golden Leaf|山茗; Harvest Lane|臻品; Mountain Mist|谷语; Roastery Co|醇香; Nutty Days|果仁坊; Sunfield|茶园; "
        "Jade Hill|味之源; Morning Crest|鲜果时光"),
    "baby": _p("Little Sprout|贝贝熊; Tiny Steps|小芽; Bloomkin|童趣; Cuddlewell|宝贝时光; Brickland|乐趣屋; Kidora|暖宝; "
        "Happy Nest|萌趣; Snugbee|小步"),
    "bags": _p("Maison Vela|旅行家; Carryon Co|都市风; Urbanic|轻行; Traverse|悦途; Lunelle|漫游; Wanderly|锦囊; "
        "Atelier Noa|简约派; Skyline|随行"),
}


class CategorySpec(NamedTuple):
    key: str
    coarse: str
    fine: Pair
    nouns: tuple[Pair, ...]
    query_nouns: tuple[Pair, ...]
    attrs: tuple[str, ...]
    price: tuple[int, int]  # US dollars; Chinese listings are priced in yuan
    complements: tuple[str, ...]


def _c(key, coarse, fine, nouns, query_nouns, attrs, price, complements) -> CategorySpec:
    return CategorySpec(
        key, coarse, _p(fine)[0], _p(nouns), _p(query_nouns), tuple(attrs.split()), price, tuple(complements.split())
    )


CATEGORIES: tuple[CategorySpec, ...] = (
    _c("dress", "apparel", "Dresses|连衣裙", "Dress|连衣裙; Midi Dress|中长款连衣裙; Maxi Dress|长裙; Wrap Dress|裹身裙",
       "dress|连衣裙; midi dress|中长裙", "color fabric dress_style sleeve season pattern apparel_size",
       (19, 129), "handbag sandals"),
    _c("tshirt", "apparel", "T-Shirts|T恤", "T-Shirt|T恤; Graphic Tee|印花T恤; Basic Tee|打底衫",
       "t-shirt|t恤; tee|短袖", "color fabric fit pattern apparel_size gender neckline", (9, 39), "jeans sneakers"),
    _c("jacket", "apparel", "Jackets & Coats|外套",
       "Jacket|夹克; Windbreaker|风衣; Bomber Jacket|飞行员夹克; Puffer Jacket|羽绒服",
       "jacket|外套; coat|夹克", "color outer_fabric fit season apparel_size gender", (39, 199), "sweater boots"),
    _c("jeans", "apparel", "Jeans|牛仔裤",
       "Jeans|牛仔裤; Straight Leg Jeans|直筒牛仔裤; Skinny Jeans|小脚牛仔裤; Wide Leg Jeans|阔腿牛仔裤",
       "jeans|牛仔裤", "color fit waist rise gender season", (25, 89), "tshirt sneakers"),
    _c("sweater", "apparel", "Sweaters|毛衣", "Sweater|毛衣; Cardigan|针织开衫; Pullover|套头衫",
       "sweater|毛衣; cardigan|开衫", "color knit fit neckline apparel_size gender pattern", (29, 159), "jeans jacket"),
    _c("running", "shoes", "Running Shoes|跑步鞋",
       "Running Shoes|跑步鞋; Trail Running Shoes|越野跑鞋; Road Running Shoes|公路跑鞋",
       "running shoes|跑鞋", "color shoe_size gender shoe_feature shoe_material",
       (49, 179), "smartwatch backpack yoga_mat"),
    _c("boots", "shoes", "Boots|靴子", "Ankle Boots|短靴; Chelsea Boots|切尔西靴; Combat Boots|马丁靴; Snow Boots|雪地靴",
       "boots|靴子", "color shoe_material shoe_size gender heel season", (45, 229), "jeans jacket"),
    _c("sandals", "shoes", "Sandals|凉鞋", "Sandals|凉鞋; Slide Sandals|拖鞋; Platform Sandals|厚底凉鞋",
       "sandals|凉鞋", "color shoe_material shoe_size gender heel shoe_feature", (15, 89), "dress handbag"),
    _c("sneakers", "shoes", "Sneakers|板鞋", "Sneakers|板鞋; Skate Shoes|滑板鞋; Low-Top Sneakers|低帮休闲鞋",
       "sneakers|板鞋; casual shoes|休闲鞋", "color shoe_material shoe_size gender shoe_feature", (29, 149), "jeans tshirt"),
    _c("headphones", "electronics", "Headphones|耳机", "Earbuds|耳机; Headphones|耳麦; Sports Earphones|运动耳机",
       "earbuds|耳机; headphones|耳麦", "tech_color earphone_type connectivity anc playtime",
       (19, 349), "charger phone power_bank"),
    _c("phone", "electronics", "Smartphones|手机", "Smartphone|智能手机; Phone|手机",
       "smartphone|手机; phone|智能手机", "tech_color storage ram screen_phone network camera",
       (149, 1299), "phone_case charger headphones power_bank"),
    _c("power_bank", "electronics", "Power Banks|充电宝", "Power Bank|充电宝; Portable Charger|移动电源",
       "power bank|充电宝", "tech_color battery_mah wattage ports", (15, 79), "phone charger"),
    _c("smartwatch", "electronics", "Smartwatches|智能手表", "Smart Watch|智能手表; Fitness Watch|运动手表",
       "smart watch|智能手表", "tech_color watch_screen battery_days water connectivity",
       (39, 399), "charger phone running"),
    _c("phone_case", "electronics", "Phone Cases|手机壳", "Phone Case|手机壳; Protective Case|保护套",
       "phone case|手机壳", "color case_material case_feature compat", (5, 39), "phone charger"),
    _c("charger", "electronics", "Chargers|充电器", "Wall Charger|充电器; Fast Charger|快充头; GaN Charger|氮化镓充电器",
       "charger|充电器; fast charger|充电头", "tech_color wattage ports", (9, 59), "phone power_bank"),
    _c("laptop", "computers", "Laptops|笔记本电脑", "Laptop|笔记本电脑; Gaming Laptop|游戏本; Ultrabook|轻薄本",
       "laptop|笔记本电脑; notebook|笔记本", "tech_color laptop_screen ram ssd cpu refresh",
       (399, 2499), "mouse keyboard backpack monitor"),
    _c("keyboard", "computers", "Keyboards|键盘", "Mechanical Keyboard|机械键盘; Keyboard|键盘",
       "keyboard|键盘", "tech_color switch layout backlight connectivity", (25, 199), "mouse monitor"),
    _c("mouse", "computers", "Mice|鼠标", "Mouse|鼠标; Gaming Mouse|游戏鼠标; Ergonomic Mouse|人体工学鼠标",
       "mouse|鼠标", "tech_color dpi connectivity mouse_weight", (9, 149), "keyboard laptop"),
    _c("monitor", "computers", "Monitors|显示器", "Monitor|显示器; Gaming Monitor|电竞显示器",
       "monitor|显示器", "monitor_screen resolution refresh panel", (119, 899), "keyboard laptop mouse"),
    _c("cookware", "home", "Cookware|锅具", "Frying Pan|平底锅; Wok|炒锅; Stock Pot|汤锅; Saucepan|奶锅",
       "frying pan|炒锅; wok|平底锅", "cookware_material diameter lid induction home_color", (19, 149), "kettle storage"),
    _c("bottle", "home", "Water Bottles|保温杯", "Insulated Water Bottle|保温杯; Tumbler|随行杯; Travel Mug|咖啡杯",
       "water bottle|保温杯; tumbler|水杯", "color volume_ml bottle_material", (9, 49), "backpack tea coffee"),
    _c("bedding", "home", "Bedding|床上用品", "Duvet Cover Set|四件套; Sheet Set|床单被套; Bedding Set|床品套件",
       "bedding set|四件套; sheets|床单", "color bed_size bed_fabric thread_count pattern", (29, 199), "storage"),
    _c("storage", "home", "Storage & Organization|收纳用品", "Storage Box|收纳盒; Storage Bin|收纳箱; Organizer|整理箱",
       "storage box|收纳盒; storage bin|收纳箱", "home_color volume_l storage_material pack", (9, 59), "bedding"),
    _c("air_fryer", "appliances", "Air Fryers|空气炸锅", "Air Fryer|空气炸锅",
       "air fryer|空气炸锅", "fryer_capacity app_wattage home_color control window", (49, 199), "cookware"),
    _c("vacuum", "appliances", "Vacuum Cleaners|吸尘器",
       "Cordless Vacuum|无线吸尘器; Robot Vacuum|扫地机器人; Stick Vacuum|手持吸尘器",
       "vacuum|吸尘器; robot vacuum|扫地机器人", "home_color suction runtime hepa", (79, 599), "storage"),
    _c("kettle", "appliances", "Electric Kettles|电水壶", "Electric Kettle|电水壶; Tea Kettle|烧水壶; Health Kettle|养生壶",
       "electric kettle|电水壶; kettle|烧水壶", "kettle_capacity kettle_material app_wattage home_color kettle_feature",
       (19, 89), "tea coffee"),
    _c("hair_dryer", "appliances", "Hair Dryers|吹风机", "Hair Dryer|吹风机; Blow Dryer|电吹风",
       "hair dryer|吹风机", "color app_wattage ionic heat", (19, 299), "shampoo"),
    _c("lipstick", "beauty", "Lipstick|口红", "Lipstick|口红; Lip Gloss|唇釉; Lip Tint|唇膏",
       "lipstick|口红; lip gloss|唇釉", "shade finish net_small gift", (9, 49), "face_cream"),
    _c("face_cream", "beauty", "Face Moisturizers|面霜", "Face Cream|面霜; Moisturizer|保湿霜; Night Cream|晚霜",
       "face cream|面霜; moisturizer|保湿霜", "skin cream_volume ingredient effect", (12, 89), "sunscreen lipstick"),
    _c("shampoo", "beauty", "Shampoo|洗发水", "Shampoo|洗发水; Shampoo Bottle|洗发露",
       "shampoo|洗发水", "shampoo_volume hair_effect scent", (6, 35), "hair_dryer"),
    _c("sunscreen", "beauty", "Sunscreen|防晒", "Sunscreen|防晒霜; Sunscreen Lotion|防晒乳; Sun Spray|防晒喷雾",
       "sunscreen|防晒霜", "spf pa skin sweatproof cream_volume", (8, 45), "face_cream"),
    _c("yoga_mat", "sports", "Yoga Mats|瑜伽垫", "Yoga Mat|瑜伽垫; Exercise Mat|健身垫",
       "yoga mat|瑜伽垫", "thickness mat_material color mat_size", (15, 89), "dumbbell bottle"),
    _c("backpack", "sports", "Backpacks|双肩包", "Backpack|双肩包; Hiking Backpack|登山包; Laptop Backpack|电脑背包",
       "backpack|背包; hiking backpack|登山包", "volume_l color bag_material water_resistant", (19, 149), "bottle tent"),
    _c("tent", "sports", "Tents|帐篷", "Camping Tent|露营帐篷; Pop-Up Tent|速开帐篷; Dome Tent|帐篷",
       "tent|帐篷; camping tent|露营帐篷", "people tent_season color water_resistant", (39, 399), "backpack"),
    _c("dumbbell", "sports", "Dumbbells|哑铃", "Dumbbells|哑铃; Adjustable Dumbbells|可调节哑铃; Dumbbell Set|哑铃套装",
       "dumbbells|哑铃", "weight_kg db_material pair", (19, 299), "yoga_mat"),
    _c("tea", "food", "Tea|茶叶", "Loose Leaf Tea|茶叶; Tea Bags|袋泡茶",
       "tea|茶叶", "tea_type net_weight grade food_pack origin_tea", (8, 99), "kettle bottle"),
    _c("coffee", "food", "Coffee|咖啡", "Coffee Beans|咖啡豆; Ground Coffee|咖啡粉; Drip Coffee Bags|挂耳咖啡",
       "coffee beans|咖啡豆; coffee|咖啡", "roast net_weight origin_coffee food_pack", (9, 59), "kettle bottle"),
    _c("snacks", "food", "Snacks|零食", "Mixed Nuts|每日坚果; Beef Jerky|牛肉干; Potato Chips|薯片; Snack Box|零食大礼包",
       "snacks|零食; jerky|牛肉干", "flavor net_weight food_pack count_packs", (5, 39), "tea coffee"),
    _c("diapers", "baby", "Diapers|纸尿裤", "Diapers|纸尿裤; Pull-Ups|拉拉裤",
       "diapers|纸尿裤", "diaper_size diaper_count diaper_feature", (15, 59), "stroller"),
    _c("blocks", "baby", "Building Toys|积木", "Building Blocks|积木; Brick Set|拼装积木",
       "building blocks|积木", "pieces age theme", (12, 149), "storage"),
    _c("stroller", "baby", "Strollers|婴儿推车", "Baby Stroller|婴儿推车; Travel Stroller|伞车; Lightweight Stroller|轻便推车",
       "stroller|婴儿车", "color stroller_feature stroller_weight", (79, 499), "diapers"),
    _c("handbag", "bags", "Handbags|女包", "Handbag|手提包; Tote Bag|托特包; Crossbody Bag|斜挎包; Shoulder Bag|单肩包",
       "handbag|包包; tote bag|托特包", "color bag_leather bag_size", (19, 299), "dress sandals"),
    _c("luggage", "bags", "Luggage|行李箱", "Suitcase|行李箱; Carry-On Luggage|登机箱; Hardside Luggage|拉杆箱",
       "suitcase|行李箱; luggage|拉杆箱", "luggage_size shell color wheels", (59, 399), "backpack"),
)

MARKETING: tuple[Pair, ...] = _p(
    "New|新款; 2024 New|2024新款; 2025 New|2025新款; Premium|高端; Upgraded|升级款; Official|官方旗舰; Hot Sale|爆款;"
    " Limited Edition|限量款; Bestseller|热卖"
)
CODE_LETTERS = "ABCDEFGHJKLMNPRSTVWXZ"
CODE_SUFFIXES = ("", "", "", " Pro", " Max", " Plus", " Lite", "S", "X")

SELLING_POINTS: dict[str, tuple[Pair, ...]] = {
    "apparel": _p("Soft and breathable for all-day wear|柔软透气，全天穿着无负担; "
        "Easy to pair with everyday outfits|百搭日常，轻松出街;"
                  " Tailored cut that flatters every figure|立体剪裁，显瘦有型; "
                      "Machine washable and quick to dry|可机洗，速干不变形"),
    "shoes": _p("Responsive cushioning for long walks|回弹缓震，久走不累; Grippy outsole for wet roads|大底抓地，雨天不打滑;"
                " Roomy toe box for wide feet|宽楦设计，脚宽也舒适; Lightweight upper that breathes|鞋面轻盈透气"),
    "electronics": _p("Pairs in seconds and stays connected|秒连不断连; "
        "Fast charging gets you going in minutes|快充几分钟，满血出门;"
                      " Compact enough for any pocket|小巧便携，随手装兜; Backed by a two-year warranty|两年质保，售后无忧"),
    "computers": _p("Built for work and play|办公娱乐两不误; Quiet operation for shared spaces|静音设计，不打扰他人;"
                    " Plug and play on every major system|即插即用，主流系统通用; "
                        "Sturdy build that lasts for years|做工扎实，经久耐用"),
    "home": _p("Easy to clean and dishwasher safe|易清洗，可洗碗机清洗; Food-grade materials|食品级材质，安心使用;"
               " Space-saving design|节省空间设计; Makes a great housewarming gift|乔迁送礼佳品"),
    "appliances": _p("Heats up in minutes|几分钟快速加热; Energy-efficient and quiet|节能静音; "
        "Simple one-touch operation|一键操作，简单易用;"
                     " Safety lock and overheat protection|童锁与过热保护"),
    "beauty": _p("Dermatologist tested|经皮肤科测试; Absorbs quickly without a greasy feel|吸收快，不油腻;"
                 " Gentle enough for daily use|温和配方，日常可用; Cruelty-free formula|零动物实验配方"),
    "sports": _p("Tough enough for the trail|结实耐造，户外无忧; Packs down small for travel|收纳小巧，出行方便;"
                 " Designed with athletes|专业运动设计; Non-slip grip for safe training|防滑握感，训练更安全"),
    "food": _p("Freshly packed for full flavor|新鲜包装，锁住风味; No artificial additives|无人工添加; "
        "Sourced from trusted farms|甄选优质产地;"
               " Great for sharing|适合分享"),
    "baby": _p("Made with baby-safe materials|母婴级安全材质; Tested for safety|通过安全检测; "
        "Easy for little hands|宝宝小手也好抓握;"
               " Grows with your child|陪伴宝宝成长"),
    "bags": _p("Plenty of room for daily essentials|大容量，日常物品都装得下; Durable zippers and stitching|拉链顺滑，走线精细;"
               " Lightweight for travel|轻便出行; Timeless design for any occasion|经典设计，各种场合都适合"),
}

# Review aspects: key -> (category label pair, terms, specific phrase templates by sentiment).
# English phrases never start with {term}, so the term keeps its lower-case spelling.
ASPECT_CATEGORY: dict[str, Pair] = {
    "quality": ("quality", "质量"), "price": ("price", "价格"), "shipping": ("shipping", "物流"),
    "service": ("service", "服务"), "packaging": ("packaging", "包装"), "appearance": ("appearance", "外观"),
    "fit": ("size", "尺码"), "fabric": ("material", "面料"), "comfort": ("comfort", "舒适度"),
    "sound": ("sound", "音质"), "battery": ("battery", "续航"), "performance": ("performance", "性能"),
    "screen": ("screen", "屏幕"), "noise": ("noise", "噪音"), "durability": ("durability", "耐用性"),
    "scent": ("scent", "气味"), "effect": ("effect", "效果"), "texture": ("texture", "质地"),
    "taste": ("taste", "口味"), "freshness": ("freshness", "新鲜度"), "safety": ("safety", "安全性"),
    "capacity": ("capacity", "容量"),
}
ASPECT_TERMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "quality": (("quality", "build quality", "workmanship"), ("质量", "做工", "品质")),
    "price": (("price",), ("价格", "价钱")),
    "shipping": (("delivery", "shipping"), ("物流", "快递", "发货速度")),
    "service": (("customer service", "seller"), ("客服", "售后", "商家服务")),
    "packaging": (("packaging",), ("包装", "外包装")),
    "appearance": (("design", "color", "style"), ("外观", "颜值", "颜色")),
    "fit": (("fit", "sizing"), ("尺码", "版型")),
    "fabric": (("fabric", "material"), ("面料", "布料")),
    "comfort": (("comfort", "cushioning"), ("舒适度", "脚感")),
    "sound": (("sound quality", "bass"), ("音质", "低音")),
    "battery": (("battery life", "battery"), ("续航", "电池")),
    "performance": (("performance", "speed"), ("性能", "运行速度")),
    "screen": (("screen", "display"), ("屏幕", "显示效果")),
    "noise": (("noise level", "noise"), ("噪音", "声音")),
    "durability": (("durability", "sturdiness"), ("耐用性", "结实程度")),
    "scent": (("scent", "fragrance"), ("气味", "香味")),
    "effect": (("effect", "result"), ("效果", "使用效果")),
    "texture": (("texture", "consistency"), ("质地", "肤感")),
    "taste": (("taste", "flavor"), ("口感", "味道")),
    "freshness": (("freshness",), ("新鲜度",)),
    "safety": (("safety",), ("安全性",)),
    "capacity": (("capacity", "size"), ("容量", "大小")),
}
ASPECTS_BY_COARSE: dict[str, tuple[str, ...]] = {
    "apparel": ("fit", "fabric", "appearance"), "shoes": ("comfort", "fit", "durability"),
    "electronics": ("sound", "battery", "performance"), "computers": ("performance", "screen", "durability"),
    "home": ("durability", "capacity", "appearance"), "appliances": ("noise", "performance", "capacity"),
    "beauty": ("scent", "effect", "texture"), "sports": ("durability", "comfort", "capacity"),
    "food": ("taste", "freshness"), "baby": ("safety", "durability"),
    "bags": ("capacity", "durability", "appearance"),
}
GENERAL_ASPECTS = ("quality", "price", "shipping", "service", "packaging")

# Phrase templates per sentiment ("positive", "negative", "neutral") and language: generic ones apply to
# any term; specific ones are added for aspects where a generic sentence would read oddly.
ASPECT_PHRASES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "positive": (
        ("The {term} is excellent.", "Really impressed with the {term}.", "I love the {term}.",
         "The {term} exceeded my expectations.", "Honestly, the {term} is great."),
        ("{term}非常好", "{term}很满意", "{term}超出预期", "{term}没得说", "{term}真的很棒"),
    ),
    "negative": (
        ("The {term} is disappointing.", "Not happy with the {term} at all.", "The {term} is really poor.",
         "The {term} could be much better.", "Sadly, the {term} let me down."),
        ("{term}太差了", "{term}很失望", "{term}不太行", "{term}让人失望", "{term}真的一般般，有点失望"),
    ),
    "neutral": (
        ("The {term} is okay.", "The {term} is about average.", "Nothing special about the {term}.",
         "The {term} is acceptable for now."),
        ("{term}一般", "{term}还行吧", "{term}中规中矩", "{term}和预期差不多"),
    ),
}
ASPECT_SPECIFIC: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "shipping": {
        "positive": (("The {term} was super fast, it arrived in two days.",), ("{term}很快，第二天就到了",)),
        "negative": (("The {term} took almost two weeks.",), ("{term}太慢了，等了一个多星期",)),
        "neutral": (("The {term} took about a week.",), ("{term}大概一周左右",)),
    },
    "fit": {
        "positive": (("The {term} is spot on.",), ("{term}很标准，按平时的买就行",)),
        "negative": (("The {term} runs way too small.",), ("{term}偏小，建议买大一码",)),
        "neutral": (("The {term} is a little loose but fine.",), ("{term}稍微偏大一点，还能接受",)),
    },
    "battery": {
        "positive": (("The {term} easily lasts all day.",), ("{term}很给力，用一整天没问题",)),
        "negative": (("The {term} barely lasts half a day.",), ("{term}不给力，半天就没电",)),
        "neutral": (("The {term} gets me through a workday.",), ("{term}够用一天",)),
    },
    "taste": {
        "positive": (("The {term} is rich and not too sweet.",), ("{term}很好，不会太甜",)),
        "negative": (("The {term} is bland and stale.",), ("{term}很淡，还有点受潮",)),
        "neutral": (("The {term} is fine, nothing memorable.",), ("{term}还可以，没什么特别",)),
    },
    "price": {
        "positive": (("Great {term}, cheaper than in stores.", "The {term} is very reasonable."),
         ("{term}很实惠，比实体店便宜", "{term}很划算")),
        "negative": (("The {term} is too steep for what you get.", "The {term} is hard to justify."),
         ("{term}太贵了，不值", "这个{term}真的不值")),
        "neutral": (("The {term} is fair.", "The {term} is in line with similar items."),
         ("{term}还算合理", "{term}和别家差不多")),
    },
    "noise": {
        "positive": (("The {term} is impressively low.", "Very low {term}, I can barely hear it."),
         ("{term}很小，几乎听不到", "{term}控制得很好")),
        "negative": (("The {term} is far too high.", "The {term} is hard to ignore, it is really loud."),
         ("{term}太大了，吵得很", "{term}特别吵")),
        "neutral": (("The {term} is noticeable but fine.",), ("{term}还能接受", "{term}有一点，不影响使用")),
    },
}

# Aspects whose generic sentences would read wrongly ("the noise is excellent"): specific phrases only.
SPECIFIC_ONLY = frozenset({"price", "noise"})

REVIEW_OPENINGS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "positive": (("Bought this for my sister.", "Second time ordering this.", "A friend recommended it.", ""),
                 ("给家人买的，", "第二次回购了，", "朋友推荐来买的，", "")),
    "negative": (("Bought this last month.", "I had high hopes for this one.", "Ordered this as a gift.", ""),
                 ("上个月买的，", "本来挺期待的，", "买来送人的，", "")),
    "neutral": (("Used it for a couple of weeks now.", "Got this on sale.", ""),
                ("用了两个星期了，", "活动时候买的，", "")),
}
REVIEW_CLOSINGS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "positive": (("Highly recommend!", "Will buy again.", "Very happy overall."), ("推荐购买！", "会回购的。", "好评！")),
    "negative": (("Would not recommend.", "Returning it.", "Save your money."), ("不推荐。", "已经申请退货了。", "差评。")),
    "neutral": (("It does the job.", "Might buy again on sale.", "Mixed feelings overall."),
     ("凑合用吧。", "总体一般般。", "有活动的话可能还会买。")),
}
REVIEW_TITLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "positive": (("Love it!", "Great purchase", "Exactly what I needed", "Worth every penny"),
     ("非常满意", "值得购买", "超级喜欢", "真心推荐")),
    "negative": (("Disappointed", "Not worth it", "Do not buy", "Broke after a week"),
     ("很失望", "不值这个钱", "不建议购买", "用了一周就坏了")),
    "neutral": (("It's okay", "Average", "Does the job", "Mixed feelings"), ("一般般", "还可以", "中规中矩", "有好有坏")),
}

# Dialogue slot fillers.
CITIES: tuple[Pair, ...] = _p(
    "Seattle|上海; Chicago|北京; Boston|杭州; Denver|深圳; Austin|成都; Toronto|武汉; Portland|南京; Miami|广州;"
    " Atlanta|西安; Phoenix|重庆"
)
RETURN_REASONS: tuple[Pair, ...] = _p(
    "it doesn't fit|尺码不合适; it arrived damaged|收到的时候已经坏了; the wrong color was sent|发错颜色了;"
    " I changed my mind|不想要了; it stopped working|用了两天就坏了"
)
HEIGHTS: tuple[Pair, ...] = _nums(range(150, 191, 2), "{}cm", "{}厘米")
WEIGHTS: tuple[Pair, ...] = tuple((f"{kg}kg", f"{2 * kg}斤") for kg in range(42, 96, 3))
CLOTHING_SIZES: tuple[Pair, ...] = _p("Small|S; Medium|M; Large|L; X-Large|XL; XX-Large|XXL")
SHOE_SIZES: tuple[Pair, ...] = _nums(range(35, 47), "EU {}", "{}")

# Dialogue intents: name -> (user templates (en, zh), agent templates (en, zh)). A user template's
# placeholders are its slots; agent templates use only slots every user template of the intent has,
# plus the agent-side values {price}, {days}, {title}, {size} and {discount}.
INTENTS: dict[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "ask_price": (
        (("How much is the {product}?",
          "What's the price of the {product} right now?", "Is the {product} on sale? How much is it?"),
         ("{product}多少钱？", "请问{product}现在什么价格？", "{product}现在有活动吗，多少钱？")),
        (("It's {price} right now, with free shipping.", "Today it's {price}."),
         ("亲，现在到手价{price}哦~", "现在活动价{price}，还包邮呢")),
    ),
    "ask_stock": (
        (("Do you have the {product} in {color}?", "Is the {color} one still in stock?", "Is the {product} in stock?"),
         ("{product}有{color}的吗？", "{color}的还有货吗？", "{product}还有货吗？")),
        (("Yes, it's in stock and ships today.", "Sorry, that one is sold out, but it will be back next week."),
         ("有的亲，现货，今天就能发", "不好意思，暂时断货了，下周补货")),
    ),
    "ask_size": (
        (("I'm {height} and {weight}, what size should I get?",
          "What size of the {product} would fit me? I'm {height}, {weight}.",
          "Does size {size} of the {product} run small?"),
         ("我身高{height}，体重{weight}，穿什么码？", "{product}我{height}{weight}穿多大的合适？", "{product}的{size}码偏小吗？")),
        (("Size {size} should fit you well.", "I'd go with size {size}, it runs true to size."),
         ("亲，建议您拍{size}码哦", "按您的情况选{size}码比较合适")),
    ),
    "track_order": (
        (("Where is my order {order_id}?",
          "Can you check the status of order {order_id}?", "My order {order_id} still hasn't arrived."),
         ("帮我查一下订单{order_id}到哪了", "我的订单{order_id}怎么还没发货？", "订单号{order_id}，现在到哪了？")),
        (("Order {order_id} has shipped and should arrive in {days} days.",
          "It's out for delivery and should reach you today."),
         ("亲，订单{order_id}已经发出了，预计{days}天内送达", "已经在派送中了，今天就能到")),
    ),
    "return_item": (
        (("I want to return order {order_id} because {reason}.",
          "Can I send back order {order_id}? Honestly, {reason}."),
         ("订单{order_id}我想退货，{reason}", "订单{order_id}能退吗？{reason}")),
        (("Sorry about that. I've started a return, and a courier will pick it up within {days} days.",
          "No problem, you'll get a full refund once we receive it."),
         ("非常抱歉，已经为您申请退货，快递员{days}天内上门取件", "好的亲，收到退货后马上给您退款")),
    ),
    "recommend": (
        (("Can you recommend a {category} under {budget}?", "I'm looking for a good {category}, my budget is {budget}.",
          "Any {category} you would recommend?"),
         ("能推荐一款{budget}以内的{category}吗？", "想买个{category}，预算{budget}，有推荐吗？", "有什么好的{category}推荐吗？")),
        (("I'd suggest the {title}.", "Our best seller is the {title}."),
         ("推荐您看看这款：{title}", "这款卖得最好：{title}")),
    ),
    "ask_shipping": (
        (("How long does shipping to {city} take?", "Do you ship to {city}?"),
         ("发到{city}要几天？", "{city}能发货吗？")),
        (("Delivery to {city} usually takes {days} days.", "Yes, we ship to {city}; it takes about {days} days."),
         ("发{city}一般{days}天左右到", "可以的亲，{city}大概{days}天能到")),
    ),
    "change_address": (
        (("Please change the delivery address of order {order_id} to {city}.",
          "Can I switch the shipping address of order {order_id} to {city}?"),
         ("订单{order_id}的收货地址能改成{city}吗？", "麻烦把订单{order_id}的地址改到{city}")),
        (("Done, order {order_id} will now ship to {city}.", "Sure, the new address in {city} is saved."),
         ("已经帮您改好了，新地址在{city}", "好的亲，订单{order_id}改为发往{city}")),
    ),
    "ask_discount": (
        (("Are there any coupons for the {product}?", "Any discount on the {product} this week?"),
         ("{product}有优惠券吗？", "{product}这周有折扣吗？")),
        (("Yes, there's a {discount} coupon at checkout.", "Not right now, but a sale starts next week."),
         ("有的亲，结算时可以领{discount}的券", "暂时没有哦，下周有活动")),
    ),
    "cancel_order": (
        (("Please cancel order {order_id}.", "I need to cancel my order {order_id}, I ordered the wrong one."),
         ("帮我取消订单{order_id}", "订单{order_id}拍错了，能取消吗？")),
        (("Order {order_id} has been cancelled; the refund takes {days} days.", "Done, your order is cancelled."),
         ("已为您取消，退款{days}天内原路返回", "好的亲，订单{order_id}已经取消了")),
    ),
    "thank": (
        (("Thanks!", "Great, thank you.", "Okay, thanks for your help."), ("好的，谢谢", "谢谢亲", "好的，辛苦了")),
        (("You're welcome! Have a nice day.", "Happy to help!"), ("不客气，祝您购物愉快~", "不客气哦，有问题随时找我")),
    ),
}
