"""UN/EDIFACT D.96A: service segments, CONTRL, ORDERS, ORDRSP, DESADV, INVOIC.

Written from the published directory for the segments and groups commonly
traded in these messages. Segment groups keep the directory's numbers (SG1,
SG2, ...) so a finding names the group the way a message guide does. A segment
that is not described here is reported as not defined for the message, never
silently accepted. Code lists are given only for the acknowledgement elements.

Tables: ``ref form name`` (``an..35``, ``n3``, ``n6..8``); composites and
segments as ``TAG name: ref [M], ...``; messages as an indented tree of
``TAG M|C max`` and ``LOOP id M|C max``.
"""

from .schema import build_dictionary

ELEMENTS = """
0001 a4 Syntax identifier
0002 n1 Syntax version number
0004 an..35 Interchange sender identification
0007 an..4 Identification code qualifier
0008 an..14 Address for reverse routing
0010 an..35 Interchange recipient identification
0013 a3 Service segment tag
0014 an..14 Routing address
0017 n6..8 Date
0019 n4 Time
0020 an..14 Interchange control reference
0022 an..14 Recipient's reference/password
0025 an2 Recipient's reference/password qualifier
0026 an..14 Application reference
0029 a1 Processing priority code
0031 n1 Acknowledgement request
0032 an..35 Interchange agreement identifier
0035 n1 Test indicator
0036 n..6 Interchange control count
0038 an..6 Functional group identification
0040 an..35 Application sender identification
0044 an..35 Application recipient identification
0048 an..14 Functional group reference number
0051 an..3 Controlling agency
0052 an..3 Message version number
0054 an..3 Message release number
0057 an..6 Association assigned code
0058 an..14 Application password
0060 n..6 Number of messages
0062 an..14 Message reference number
0065 an..6 Message type
0068 an..35 Common access reference
0070 n..2 Sequence of transfers
0073 a1 First and last transfer
0074 n..6 Number of segments in a message
0080 an..6 Service code list directory version number
0081 a1 Section identification
0083 an..3 Action, coded
0085 an..3 Syntax error, coded
0096 n..6 Segment position in message body
0098 n..3 Erroneous data element position in segment
0104 n..3 Erroneous component data element position
0133 an..3 Character encoding, coded
0136 n..6 Erroneous data element occurrence
1000 an..35 Document/message name
1001 an..3 Document/message name, coded
1004 an..35 Document/message number
1082 an..6 Line item number
1131 an..3 Code list qualifier
1153 an..3 Reference qualifier
1154 an..35 Reference number
1156 an..6 Line number
1222 n..2 Configuration level
1225 an..3 Message function, coded
1227 an..3 Calculation sequence indicator, coded
1229 an..3 Action request/notification, coded
1230 an..35 Allowance or charge number
2005 an..3 Date/time/period qualifier
2009 an..3 Time relation, coded
2151 an..3 Type of period, coded
2152 n..3 Number of periods
2379 an..3 Date/time/period format qualifier
2380 an..35 Date/time/period
2475 an..3 Payment time reference, coded
3035 an..3 Party qualifier
3036 an..35 Party name
3039 an..35 Party id. identification
3042 an..35 Street and number/p.o. box
3045 an..3 Party name format, coded
3055 an..3 Code list responsible agency, coded
3124 an..35 Name and address line
3139 an..3 Contact function, coded
3148 an..512 Communication number
3155 an..3 Communication channel qualifier
3164 an..35 City name
3207 an..3 Country, coded
3224 an..70 Place/location
3225 an..25 Place/location identification
3227 an..3 Place/location qualifier
3229 an..9 Country sub-entity identification
3251 an..9 Postcode identification
3412 an..35 Department or employee
3413 an..17 Department or employee identification
4000 an..35 Reference version number
4052 an..70 Terms of delivery
4053 an..3 Terms of delivery or transport, coded
4055 an..3 Terms of delivery or transport function, coded
4215 an..3 Transport charges method of payment, coded
4276 an..35 Terms of payment
4277 an..17 Terms of payment identification
4279 an..3 Payment terms type qualifier
4343 an..3 Response type, coded
4347 an..3 Product id. function qualifier
4405 an..3 Status, coded
4440 an..70 Free text
4441 an..3 Free text, coded
4451 an..3 Text subject qualifier
4453 an..3 Text function, coded
4471 an..3 Settlement, coded
5004 n..18 Monetary amount
5025 an..3 Monetary amount type qualifier
5118 n..15 Price
5125 an..3 Price qualifier
5152 an..35 Duty/tax/fee type
5153 an..3 Duty/tax/fee type, coded
5189 an..3 Charge/allowance description, coded
5213 an..3 Sub-line price change, coded
5245 an..3 Percentage qualifier
5249 an..3 Percentage basis, coded
5273 an..12 Duty/tax/fee rate basis identification
5278 an..17 Duty/tax/fee rate
5279 an..7 Duty/tax/fee rate identification
5283 an..3 Duty/tax/fee function qualifier
5284 n..9 Unit price basis
5286 an..15 Duty/tax/fee assessment basis
5289 an..6 Duty/tax/fee account identification
5305 an..3 Duty/tax/fee category, coded
5375 an..3 Price type, coded
5387 an..3 Price type qualifier
5402 n..12 Rate of exchange
5463 an..3 Allowance or charge qualifier
5482 n..10 Percentage
6060 n..15 Quantity
6063 an..3 Quantity qualifier
6066 n..18 Control value
6069 an..3 Control qualifier
6341 an..3 Currency market exchange, coded
6343 an..3 Currency qualifier
6345 an..3 Currency, coded
6347 an..3 Currency details qualifier
6348 n..4 Currency rate base
6411 an..3 Measure unit qualifier
7064 an..35 Type of packages
7065 an..17 Type of packages identification
7073 an..3 Packaging terms and conditions, coded
7075 an..3 Packaging level, coded
7077 an..3 Item description type, coded
7081 an..3 Item characteristic, coded
7083 an..3 Configuration, coded
7102 an..35 Shipping marks
7140 an..35 Item number
7143 an..3 Item number type, coded
7160 an..35 Special service
7161 an..3 Special service, coded
7164 an..12 Hierarchical id. number
7166 an..12 Hierarchical parent id.
7224 n..8 Number of packages
7233 an..3 Packaging related information, coded
7383 an..3 Surface/layer indicator, coded
7402 an..35 Identity number
7405 an..3 Identity number qualifier
7008 an..35 Item description
7009 an..17 Item description identification
8028 an..17 Conveyance reference number
8051 an..3 Transport stage qualifier
8066 an..17 Mode of transport
8067 an..3 Mode of transport, coded
8101 an..3 Transit direction, coded
8178 an..17 Type of means of transport
8179 an..8 Type of means of transport identification
8212 an..35 Id. of the means of transport
8213 an..9 Id. of means of transport identification
8275 an..3 Container/package status, coded
8281 an..3 Transport ownership, coded
8453 an..3 Nationality of means of transport, coded
3127 an..17 Carrier identification
3128 an..35 Carrier name
6311 an..3 Measurement application qualifier
6313 an..3 Measurement dimension, coded
6321 an..3 Measurement significance, coded
6155 an..17 Measurement attribute identification
6154 an..70 Measurement attribute
6314 n..18 Measurement value
6162 n..18 Range minimum
6152 n..18 Range maximum
6432 n..2 Significant digits
"""

CODES = {
    "0083": "4 7 8",
    "0085": "2 7 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 "
    "33 34 35 36 37 38 39 40",
}

COMPOSITES = """
S001 Syntax identifier: 0001 M, 0002 M, 0080, 0133
S002 Interchange sender: 0004 M, 0007, 0008
S003 Interchange recipient: 0010 M, 0007, 0014
S004 Date and time of preparation: 0017 M, 0019 M
S005 Recipient's reference/password: 0022 M, 0025
S006 Application sender identification: 0040 M, 0007
S007 Application recipient identification: 0044 M, 0007
S008 Message version: 0052 M, 0054 M, 0057
S009 Message identifier: 0065 M, 0052 M, 0054 M, 0051 M, 0057
S010 Status of the transfer: 0070 M, 0073
S011 Data element identification: 0098 M, 0104, 0136
C002 Document/message name: 1001, 1131, 3055, 1000
C507 Date/time/period: 2005 M, 2380, 2379
C107 Text reference: 4441 M, 1131, 3055
C108 Text literal: 4440 M, 4440, 4440, 4440, 4440
C506 Reference: 1153 M, 1154, 1156, 4000
C082 Party identification details: 3039 M, 1131, 3055
C058 Name and address: 3124 M, 3124, 3124, 3124, 3124
C080 Party name: 3036 M, 3036, 3036, 3036, 3036, 3045
C059 Street: 3042 M, 3042, 3042, 3042
C504 Currency details: 6347 M, 6345, 6343, 6348
C110 Payment terms: 4277, 1131, 3055, 4276, 4276
C112 Terms/time information: 2475 M, 2009, 2151, 2152
C212 Item number identification: 7140, 7143, 1131, 3055
C829 Sub-line information: 5495 M, 1082
C272 Item characteristic: 7081, 1131, 3055
C273 Item description: 7009, 1131, 3055, 7008, 7008, 3453
C186 Quantity details: 6063 M, 6060 M, 6411
C516 Monetary amount: 5025 M, 5004, 6345, 6343, 4405
C509 Price information: 5125 M, 5118, 5375, 5387, 5284, 6411
C270 Control: 6069 M, 6066 M, 6411
C241 Duty/tax/fee type: 5153, 1131, 3055, 5152
C533 Duty/tax/fee account detail: 5289 M, 1131, 3055
C243 Duty/tax/fee detail: 5279, 1131, 3055, 5278, 5273, 1131, 3055
C552 Allowance/charge information: 1230, 5189
C214 Special services identification: 7161, 1131, 3055, 7160, 7160
C220 Mode of transport: 8067, 8066
C228 Transport means: 8179, 8178
C040 Carrier: 3127, 1131, 3055, 3128
C401 Excess transportation information: 8457 M, 8459 M, 7130
C222 Transport identification: 8213, 1131, 3055, 8212, 8453
C531 Packaging details: 7075, 7233, 7073
C202 Package type: 7065, 1131, 3055, 7064
C402 Package type identification: 7077 M, 7064 M, 7143, 7064, 7143
C532 Returnable package details: 8395, 8393
C517 Location identification: 3225, 1131, 3055, 3224
C056 Department or employee details: 3413, 3412
C076 Communication contact: 3148 M, 3155 M
C501 Percentage details: 5245 M, 5482, 5249, 1131, 3055
C502 Measurement details: 6313, 6321, 6155, 6154
C174 Value/range: 6411 M, 6314, 6162, 6152, 6432
C208 Identity number range: 7402 M, 7402
C100 Terms of delivery or transport: 4053, 1131, 3055, 4052, 4052
C210 Marks and labels: 7102 M, 7102, 7102, 7102, 7102, 7102, 7102, 7102, 7102, 7102
"""

EXTRA_ELEMENTS = """
5495 an..3 Sub-line indicator, coded
3453 an..3 Language, coded
8457 an..3 Excess transportation reason, coded
8459 an..3 Excess transportation responsibility, coded
7130 an..17 Customer authorization number
8395 an..3 Returnable package freight payment responsibility, coded
8393 an..3 Returnable package load contents, coded
5479 an..3 Relation, coded
4183 an..3 Special condition, coded
3239 an..3 Country of origin, coded
9213 an..3 Type of duty regime, coded
3446 an..20 Party tax identification number
"""

SEGMENTS = """
UNB Interchange header: S001 M, S002 M, S003 M, S004 M, 0020 M, S005, 0026, 0029, \
0031, 0032, 0035
UNZ Interchange trailer: 0036 M, 0020 M
UNG Functional group header: 0038 M, S006 M, S007 M, S004 M, 0048 M, 0051 M, \
S008 M, 0058
UNE Functional group trailer: 0060 M, 0048 M
UNH Message header: 0062 M, S009 M, 0068, S010
UNT Message trailer: 0074 M, 0062 M
UCI Interchange response: 0020 M, S002 M, S003 M, 0083 M, 0085, 0013, S011
UCM Message response: 0062 M, S009 M, 0083 M, 0085, 0013, S011
UCF Functional group response: 0048 M, S006 M, S007 M, 0083 M, 0085, 0013, S011
UCS Segment error indication: 0096 M, 0085
UCD Data element error indication: 0085 M, S011 M
BGM Beginning of message: C002, 1004, 1225, 4343
DTM Date/time/period: C507 M
FTX Free text: 4451 M, 4453, C107, C108, 3453
RFF Reference: C506 M
NAD Name and address: 3035 M, C082, C058, C080, C059, 3164, 3229, 3251, 3207
LOC Place/location identification: 3227 M, C517, C517, C517, 5479
CTA Contact information: 3139, C056
COM Communication contact: C076 M
TAX Duty/tax/fee details: 5283 M, C241, C533, 5286, C243, 5305, 3446, 1227
CUX Currencies: C504, C504, 5402, 6341
PAT Payment terms basis: 4279 M, C110, C112
PCD Percentage details: C501 M
MOA Monetary amount: C516 M
TDT Details of transport: 8051 M, 8028, C220, C228, C040, 8101, C401, C222, 8281
TOD Terms of delivery or transport: 4055, 4215, C100
PAC Package: 7224, C531, C202, C402, C532
MEA Measurements: 6311 M, C502, C174, 7383
PCI Package identification: 4233, C210, 8275, C827
GIN Goods identity number: 7405 M, C208 M, C208, C208, C208, C208
CPS Consignment packing sequence: 7164 M, 7166, 7075
ALC Allowance or charge: 5463 M, C552, 4471, 1227, C214
ALI Additional information: 3239, 9213, 4183, 4183, 4183, 4183, 4183
LIN Line item: 1082, 1229, C212, C829, 1222, 7083
PIA Additional product id: 4347 M, C212 M, C212, C212, C212, C212
IMD Item description: 7077, C272, C273, 7383
QTY Quantity: C186 M
PRI Price details: C509, 5213
UNS Section control: 0081 M
CNT Control total: C270 M
"""

PCI_ELEMENTS = """
4233 an..3 Marking instructions, coded
7511 an..3 Type of marking, coded
"""

PCI_COMPOSITES = """
C827 Type of marking: 7511 M, 1131, 3055
"""

# Header groups shared by ORDERS and ORDRSP, and their line groups.
_ORDER_HEADER = """
  UNH M 1
  BGM M 1
  DTM M 35
  ALI C 5
  IMD C 1
  FTX C 99
  LOOP SG1 C 10
    RFF M 1
    DTM C 5
  LOOP SG2 C 99
    NAD M 1
    LOC C 99
    LOOP SG3 C 10
      RFF M 1
      DTM C 5
    LOOP SG5 C 5
      CTA M 1
      COM C 5
  LOOP SG6 C 5
    TAX M 1
    MOA C 1
    LOC C 5
  LOOP SG7 C 5
    CUX M 1
    DTM C 5
  LOOP SG8 C 10
    PAT M 1
    DTM C 5
    PCD C 1
    MOA C 1
  LOOP SG9 C 10
    TDT M 1
    LOOP SG10 C 10
      LOC M 1
      DTM C 5
  LOOP SG11 C 5
    TOD M 1
    LOC C 2
  LOOP SG12 C 99
    PAC M 1
    MEA C 5
    LOOP SG13 C 5
      PCI M 1
      RFF C 1
      DTM C 5
      GIN C 10
  LOOP SG18 C 15
    ALC M 1
    ALI C 5
    DTM C 5
    LOOP SG21 C 1
      MOA M 1
    LOOP SG23 C 5
      TAX M 1
      MOA C 1
  LOOP SG25 C 200000
    LIN M 1
    PIA C 25
    IMD C 99
    MEA C 99
    QTY C 99
    PCD C 5
    ALI C 5
    DTM C 35
    MOA C 10
    GIN C 127
    FTX C 99
    LOOP SG26 C 25
      PAT M 1
      DTM C 5
      PCD C 1
      MOA C 1
    LOOP SG27 C 25
      PRI M 1
      CUX C 1
      DTM C 5
    LOOP SG28 C 10
      RFF M 1
      DTM C 5
    LOOP SG29 C 10
      PAC M 1
      MEA C 10
      LOOP SG30 C 10
        PCI M 1
        RFF C 1
        DTM C 5
        GIN C 10
    LOOP SG31 C 9999
      LOC M 1
      QTY C 1
      DTM C 5
    LOOP SG32 C 10
      TAX M 1
      MOA C 1
      LOC C 5
    LOOP SG33 C 999
      NAD M 1
      LOC C 5
      LOOP SG34 C 10
        RFF M 1
        DTM C 5
      LOOP SG36 C 5
        CTA M 1
        COM C 5
    LOOP SG37 C 15
      ALC M 1
      ALI C 5
      DTM C 5
      LOOP SG40 C 1
        MOA M 1
      LOOP SG42 C 5
        TAX M 1
        MOA C 1
    LOOP SG43 C 10
      TDT M 1
      LOOP SG44 C 10
        LOC M 1
        DTM C 5
  UNS M 1
  MOA C 12
  CNT C 10
  LOOP SG53 C 10
    ALC M 1
    ALI C 1
    MOA C 2
  UNT M 1
"""

MESSAGES = (
    """
CONTRL - Syntax and service report message
  UNH M 1
  UCI M 1
  LOOP SG1 C 999999
    UCM M 1
    LOOP SG2 C 999
      UCS M 1
      UCD C 99
  LOOP SG3 C 999999
    UCF M 1
    LOOP SG4 C 999999
      UCM M 1
      LOOP SG5 C 999
        UCS M 1
        UCD C 99
  UNT M 1

ORDERS - Purchase order message"""
    + _ORDER_HEADER
    + """
ORDRSP - Purchase order response message"""
    + _ORDER_HEADER
    + """
DESADV - Despatch advice message
  UNH M 1
  BGM M 1
  DTM M 10
  ALI C 5
  MEA C 5
  MOA C 5
  LOOP SG1 C 10
    RFF M 1
    DTM C 1
  LOOP SG2 C 99
    NAD M 1
    LOC C 10
    LOOP SG3 C 10
      RFF M 1
      DTM C 1
    LOOP SG4 C 10
      CTA M 1
      COM C 5
  LOOP SG5 C 10
    TOD M 1
    LOC C 5
    FTX C 5
  LOOP SG6 C 10
    TDT M 1
    PCD C 10
    LOOP SG7 C 10
      LOC M 1
      DTM C 5
  LOOP SG10 C 9999
    CPS M 1
    FTX C 5
    LOOP SG11 C 9999
      PAC M 1
      MEA C 10
      QTY C 10
      LOOP SG13 C 1000
        PCI M 1
        RFF C 1
        DTM C 5
        LOOP SG14 C 99
          GIN M 1
    LOOP SG15 C 9999
      LIN M 1
      PIA C 10
      IMD C 25
      MEA C 10
      QTY C 10
      ALI C 10
      GIN C 100
      DTM C 5
      FTX C 5
      MOA C 5
      LOOP SG16 C 10
        RFF M 1
        DTM C 1
      LOOP SG20 C 100
        LOC M 1
        NAD C 1
        DTM C 1
        QTY C 10
      LOOP SG21 C 1000
        PCI M 1
        DTM C 5
        MEA C 10
        QTY C 1
        LOOP SG22 C 10
          GIN M 1
  CNT C 5
  UNT M 1

INVOIC - Invoice message
  UNH M 1
  BGM M 1
  DTM M 35
  ALI C 5
  IMD C 1
  FTX C 10
  LOC C 10
  LOOP SG1 C 99
    RFF M 1
    DTM C 5
  LOOP SG2 C 99
    NAD M 1
    LOC C 25
    LOOP SG3 C 9999
      RFF M 1
      DTM C 5
    LOOP SG5 C 5
      CTA M 1
      COM C 5
  LOOP SG6 C 5
    TAX M 1
    MOA C 1
    LOC C 5
  LOOP SG7 C 5
    CUX M 1
    DTM C 5
  LOOP SG8 C 10
    PAT M 1
    DTM C 5
    PCD C 1
    MOA C 1
  LOOP SG9 C 10
    TDT M 1
    LOOP SG10 C 10
      LOC M 1
      DTM C 5
  LOOP SG11 C 5
    TOD M 1
    LOC C 2
  LOOP SG12 C 1000
    PAC M 1
    MEA C 5
    LOOP SG13 C 5
      PCI M 1
      RFF C 1
      DTM C 5
      GIN C 10
  LOOP SG15 C 99
    ALC M 1
    ALI C 5
    FTX C 1
    LOOP SG16 C 5
      RFF M 1
      DTM C 5
    LOOP SG18 C 1
      PCD M 1
    LOOP SG19 C 2
      MOA M 1
    LOOP SG21 C 5
      TAX M 1
      MOA C 1
  LOOP SG25 C 9999999
    LIN M 1
    PIA C 25
    IMD C 10
    MEA C 5
    QTY C 5
    PCD C 1
    ALI C 5
    DTM C 35
    GIN C 1000
    FTX C 5
    LOOP SG26 C 25
      MOA M 1
    LOOP SG27 C 10
      PAT M 1
      DTM C 5
      PCD C 1
      MOA C 1
    LOOP SG28 C 25
      PRI M 1
      CUX C 1
      DTM C 5
    LOOP SG29 C 10
      RFF M 1
      DTM C 5
    LOOP SG30 C 10
      PAC M 1
      MEA C 10
    LOOP SG32 C 10
      LOC M 1
      QTY C 100
      DTM C 1
    LOOP SG33 C 99
      TAX M 1
      MOA C 1
      LOC C 5
    LOOP SG34 C 99
      NAD M 1
      LOC C 5
      LOOP SG35 C 5
        RFF M 1
        DTM C 5
      LOOP SG37 C 5
        CTA M 1
        COM C 5
    LOOP SG38 C 15
      ALC M 1
      ALI C 5
      DTM C 5
      LOOP SG41 C 1
        PCD M 1
      LOOP SG42 C 2
        MOA M 1
      LOOP SG44 C 5
        TAX M 1
        MOA C 1
  UNS M 1
  CNT C 10
  LOOP SG48 C 100
    MOA M 1
    LOOP SG49 C 1
      RFF M 1
      DTM C 5
  LOOP SG50 C 10
    TAX M 1
    MOA C 2
  LOOP SG51 C 15
    ALC M 1
    ALI C 1
    MOA C 2
  UNT M 1
"""
)

EDIFACT_D96A = build_dictionary(
    "EDIFACT",
    "D:96A:UN",
    elements=[ELEMENTS, EXTRA_ELEMENTS, PCI_ELEMENTS],
    composites=[COMPOSITES, PCI_COMPOSITES],
    segments=[SEGMENTS],
    sets=[MESSAGES],
    codes=[CODES],
)
